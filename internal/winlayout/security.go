package winlayout

// The layouts of the Microsoft-Windows-Security-Auditing events SigmaHQ's
// rules read, per event id the versions newest first, each a
// space-separated field order. The orders are those of the provider's
// manifest as Microsoft documents each event ("4624(S): An account was
// successfully logged on" and its siblings list the fields of the event
// XML in order), taken from the OSSEM data dictionaries (OTRF/OSSEM-DD,
// MIT), which transcribe them per version. The scheduled task events'
// version 1 (Windows 10 and later), which the dictionaries lack, is the
// one real recordings carry (SigmaHQ's regression data has 4701 version 1).

const (
	subject    = "SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId"
	taskClient = "ClientProcessStartKey ClientProcessId ParentProcessId RpcCallClientLocality FQDN"
)

var security = map[int][]string{
	4611: {
		subject + " LogonProcessName", // v0
	},
	4616: {
		subject + " PreviousTime NewTime ProcessId ProcessName",                      // v1
		subject + " PreviousDate PreviousTime NewDate NewTime ProcessId ProcessName", // v0
	},
	4624: {
		subject + " TargetUserSid TargetUserName TargetDomainName TargetLogonId LogonType LogonProcessName AuthenticationPackageName WorkstationName LogonGuid TransmittedServices LmPackageName KeyLength ProcessId ProcessName IpAddress IpPort ImpersonationLevel RestrictedAdminMode TargetOutboundUserName TargetOutboundDomainName VirtualAccount TargetLinkedLogonId ElevatedToken", // v2
		subject + " TargetUserSid TargetUserName TargetDomainName TargetLogonId LogonType LogonProcessName AuthenticationPackageName WorkstationName LogonGuid TransmittedServices LmPackageName KeyLength ProcessId ProcessName IpAddress IpPort ImpersonationLevel",                                                                                                                      // v1
		subject + " TargetUserSid TargetUserName TargetDomainName TargetLogonId LogonType LogonProcessName AuthenticationPackageName WorkstationName LogonGuid TransmittedServices LmPackageName KeyLength ProcessId ProcessName IpAddress IpPort",                                                                                                                                         // v0
	},
	4625: {
		subject + " TargetUserSid TargetUserName TargetDomainName Status FailureReason SubStatus LogonType LogonProcessName AuthenticationPackageName WorkstationName TransmittedServices LmPackageName KeyLength ProcessId ProcessName IpAddress IpPort", // v0
	},
	4634: {
		"TargetUserSid TargetUserName TargetDomainName TargetLogonId LogonType", // v0
	},
	4647: {
		"TargetUserSid TargetUserName TargetDomainName TargetLogonId", // v0
	},
	4648: {
		subject + " LogonGuid TargetUserName TargetDomainName TargetLogonGuid TargetServerName TargetInfo ProcessId ProcessName IpAddress IpPort", // v0
	},
	4649: {
		subject + " TargetUserName TargetDomainName RequestType LogonProcessName AuthenticationPackage WorkstationName TransmittedServices ProcessId ProcessName", // v0
	},
	4656: {
		subject + " ObjectServer ObjectType ObjectName HandleId TransactionId AccessList AccessReason AccessMask PrivilegeList RestrictedSidCount ProcessId ProcessName ResourceAttributes", // v1
		subject + " ObjectServer ObjectType ObjectName HandleId TransactionId AccessList AccessReason AccessMask PrivilegeList RestrictedSidCount ProcessId ProcessName",                    // v1 as Windows 7 and 2008 R2 write it
		subject + " ObjectServer ObjectType ObjectName HandleId TransactionId AccessList AccessMask PrivilegeList RestrictedSidCount ProcessId ProcessName",                                 // v0
	},
	4657: {
		subject + " ObjectName ObjectValueName HandleId OperationType OldValueType OldValue NewValueType NewValue ProcessId ProcessName", // v0
	},
	4658: {
		subject + " ObjectServer HandleId ProcessId ProcessName", // v0
	},
	4661: {
		subject + " ObjectServer ObjectType ObjectName HandleId TransactionId AccessList AccessReason AccessMask PrivilegeList Properties RestrictedSidCount ProcessId ProcessName", // v1
		subject + " ObjectServer ObjectType ObjectName HandleId TransactionId AccessList AccessMask PrivilegeList Properties RestrictedSidCount ProcessId ProcessName",              // v0
	},
	4662: {
		subject + " ObjectServer ObjectType ObjectName OperationType HandleId AccessList AccessMask Properties AdditionalInfo AdditionalInfo2", // v0
	},
	4663: {
		subject + " ObjectServer ObjectType ObjectName HandleId AccessList AccessMask ProcessId ProcessName ResourceAttributes", // v1
		subject + " ObjectServer ObjectType ObjectName HandleId AccessList AccessMask ProcessId ProcessName",                    // v0
	},
	4672: {
		subject + " PrivilegeList", // v0
	},
	4673: {
		subject + " ObjectServer Service PrivilegeList ProcessId ProcessName", // v0
	},
	4674: {
		subject + " ObjectServer ObjectType ObjectName HandleId AccessMask PrivilegeList ProcessId ProcessName", // v0
	},
	4688: {
		subject + " NewProcessId NewProcessName TokenElevationType ProcessId CommandLine TargetUserSid TargetUserName TargetDomainName TargetLogonId ParentProcessName MandatoryLabel", // v2
		subject + " NewProcessId NewProcessName TokenElevationType ProcessId CommandLine",                                                                                              // v1
		subject + " NewProcessId NewProcessName TokenElevationType ProcessId",                                                                                                          // v0
	},
	4692: {
		subject + " MasterKeyId RecoveryServer RecoveryKeyId FailureReason", // v0
	},
	4697: {
		subject + " ServiceName ServiceFileName ServiceType ServiceStartType ServiceAccount", // v0
	},
	4698: {
		subject + " TaskName TaskContent " + taskClient, // v1
		subject + " TaskName TaskContent",               // v0
	},
	4699: {
		subject + " TaskName TaskContent " + taskClient, // v1
		subject + " TaskName TaskContent",               // v0
	},
	4701: {
		subject + " TaskName TaskContent " + taskClient, // v1
		subject + " TaskName TaskContent",               // v0
	},
	4702: {
		subject + " TaskName TaskContentNew " + taskClient, // v1
		subject + " TaskName TaskContentNew",               // v0
	},
	4704: {
		subject + " TargetSid PrivilegeList", // v0
	},
	4706: {
		"DomainName DomainSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId TdoType TdoDirection TdoAttributes SidFilteringEnabled", // v0
	},
	4719: {
		subject + " CategoryId SubcategoryId SubcategoryGuid AuditPolicyChanges", // v0
	},
	4720: {
		"TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList SamAccountName DisplayName UserPrincipalName HomeDirectory HomePath ScriptPath ProfilePath UserWorkstations PasswordLastSet AccountExpires PrimaryGroupId AllowedToDelegateTo OldUacValue NewUacValue UserAccountControl UserParameters SidHistory LogonHours", // v0
	},
	4728: {
		"MemberName MemberSid TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList MembershipExpirationTime", // v1
		"MemberName MemberSid TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList",                          // v0
	},
	4732: {
		"MemberName MemberSid TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList MembershipExpirationTime", // v1
		"MemberName MemberSid TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList",                          // v0
	},
	4738: {
		"Dummy TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList SamAccountName DisplayName UserPrincipalName HomeDirectory HomePath ScriptPath ProfilePath UserWorkstations PasswordLastSet AccountExpires PrimaryGroupId AllowedToDelegateTo OldUacValue NewUacValue UserAccountControl UserParameters SidHistory LogonHours", // v0
	},
	4741: {
		"TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList SamAccountName DisplayName UserPrincipalName HomeDirectory HomePath ScriptPath ProfilePath UserWorkstations PasswordLastSet AccountExpires PrimaryGroupId AllowedToDelegateTo OldUacValue NewUacValue UserAccountControl UserParameters SidHistory LogonHours DnsHostName ServicePrincipalNames", // v0
	},
	4742: {
		"ComputerAccountChange TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList SamAccountName DisplayName UserPrincipalName HomeDirectory HomePath ScriptPath ProfilePath UserWorkstations PasswordLastSet AccountExpires PrimaryGroupId AllowedToDelegateTo OldUacValue NewUacValue UserAccountControl UserParameters SidHistory LogonHours DnsHostName ServicePrincipalNames", // v0
	},
	4743: {
		"TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList", // v0
	},
	4765: {
		"SourceUserName SourceSid TargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList SidList", // v0
	},
	4766: {
		"SourceUserName TargetUserName TargetDomainName TargetSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList", // v0
	},
	4768: {
		// v2: domain controllers updated from January 2025 on add the
		// encryption types and keys of each party (as real events list them).
		"TargetUserName TargetDomainName TargetSid ServiceName ServiceSid TicketOptions Status TicketEncryptionType PreAuthType IpAddress IpPort CertIssuerName CertSerialNumber CertThumbprint " +
			"ResponseTicket AccountSupportedEncryptionTypes AccountAvailableKeys ServiceSupportedEncryptionTypes ServiceAvailableKeys DCSupportedEncryptionTypes DCAvailableKeys ClientAdvertizedEncryptionTypes SessionKeyEncryptionType PreAuthEncryptionType",
		"TargetUserName TargetDomainName TargetSid ServiceName ServiceSid TicketOptions Status TicketEncryptionType PreAuthType IpAddress IpPort CertIssuerName CertSerialNumber CertThumbprint", // v0
	},
	4769: {
		// v2, as 4768's.
		"TargetUserName TargetDomainName ServiceName ServiceSid TicketOptions TicketEncryptionType IpAddress IpPort Status LogonGuid TransmittedServices " +
			"RequestTicketHash ResponseTicketHash AccountSupportedEncryptionTypes AccountAvailableKeys ServiceSupportedEncryptionTypes ServiceAvailableKeys DCSupportedEncryptionTypes DCAvailableKeys ClientAdvertizedEncryptionTypes SessionKeyEncryptionType",
		"TargetUserName TargetDomainName ServiceName ServiceSid TicketOptions TicketEncryptionType IpAddress IpPort Status LogonGuid TransmittedServices", // v0
	},
	4771: {
		"TargetUserName TargetSid ServiceName TicketOptions Status PreAuthType IpAddress IpPort CertIssuerName CertSerialNumber CertThumbprint", // v0
	},
	4776: {
		"PackageName TargetUserName Workstation Status", // v0
	},
	4781: {
		"OldTargetUserName NewTargetUserName TargetDomainName TargetSid SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList", // v0
	},
	4794: {
		subject + " Workstation Status", // v0
	},
	4800: {
		"TargetUserSid TargetUserName TargetDomainName TargetLogonId SessionId", // v0
	},
	4825: {
		"AccountName AccountDomain LogonID ClientAddress", // v0
	},
	4898: {
		"TemplateInternalName TemplateVersion TemplateSchemaVersion TemplateOID TemplateDSObjectFQDN DCDNSName TemplateContent SecurityDescriptor", // v0
	},
	4899: {
		"TemplateInternalName TemplateVersion TemplateSchemaVersion TemplateOID TemplateDSObjectFQDN DCDNSName NewTemplateContent OldTemplateContent", // v0
	},
	4904: {
		subject + " AuditSourceName EventSourceId ProcessId ProcessName", // v0
	},
	4905: {
		subject + " AuditSourceName EventSourceId ProcessId ProcessName", // v0
	},
	5136: {
		"OpCorrelationID AppCorrelationID SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId DSName DSType ObjectDN ObjectGUID ObjectClass AttributeLDAPDisplayName AttributeSyntaxOID AttributeValue OperationType", // v0
	},
	5137: {
		"OpCorrelationID AppCorrelationID SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId DSName DSType ObjectDN ObjectGUID ObjectClass", // v0
	},
	5140: {
		subject + " ObjectType IpAddress IpPort ShareName ShareLocalPath AccessMask AccessList", // v1
		subject + " IpAddress IpPort ShareName",                                                 // v0
	},
	5145: {
		subject + " ObjectType IpAddress IpPort ShareName ShareLocalPath RelativeTargetName AccessMask AccessList AccessReason", // v0
	},
	5156: {
		"ProcessID Application Direction SourceAddress SourcePort DestAddress DestPort Protocol FilterRTID LayerName LayerRTID RemoteUserID RemoteMachineID", // v1
		"ProcessID Application Direction SourceAddress SourcePort DestAddress DestPort Protocol FilterRTID LayerName LayerRTID",                              // v0
	},
	5157: {
		"ProcessID Application Direction SourceAddress SourcePort DestAddress DestPort Protocol FilterRTID LayerName LayerRTID RemoteUserID RemoteMachineID", // v1
		"ProcessID Application Direction SourceAddress SourcePort DestAddress DestPort Protocol FilterRTID LayerName LayerRTID",                              // v0
	},
	5379: {
		subject + " TargetName Type CountOfCredentialsReturned ReadOperation ReturnCode ProcessCreationTime ClientProcessId", // v0
	},
	5441: {
		"ProviderKey ProviderName FilterKey FilterName FilterType FilterId LayerKey LayerName LayerId Weight Conditions Action CalloutKey CalloutName", // v0
	},
	5447: {
		"ProcessId UserSid UserName ProviderKey ProviderName ChangeType FilterKey FilterName FilterType FilterId LayerKey LayerName LayerId Weight Conditions Action CalloutKey CalloutName", // v0
	},
	5449: {
		"ProcessId UserSid UserName ProviderKey ProviderName ChangeType ProviderContextKey ProviderContextName ProviderContextType", // v0
	},
	6416: {
		subject + " DeviceId DeviceDescription ClassId ClassName VendorIds CompatibleIds LocationInformation", // v1
		subject + " ClassId VendorIds CompatibleIds LocationInformation",                                      // v0
	},
	6423: {
		subject + " DeviceId DeviceDescription ClassId ClassName HardwareIds CompatibleIds LocationInformation", // v0
	},
}

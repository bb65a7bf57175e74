// Package textevent reads events carried as text into msgpack, in the
// shapes the filter reads records in, and writes msgpack back as JSON.
//
//   - JSON: a Converter turns a JSON value into msgpack, keeping object
//     keys in their order. The filter uses it for a record a tail or syslog
//     input left as a JSON line; ReadEvents turns a file of JSON events into
//     a chunk for cmd/sigma-check and the tests; WriteMsgpack writes
//     msgpack back as JSON for sigma-check's output.
//   - XML: AppendXMLEvent turns a Windows event rendered as XML (Fluent
//     Bit's in_winevtlog with render_event_as_xml, Sysmon for Linux
//     through syslog) into the shape evtx_dump gives it; the filter uses it
//     for a text key holding an <Event>.
//
// Both bound nesting, so hostile input is an error, not a stack overflow.
// A Converter is not safe for concurrent use; AppendXMLEvent keeps no
// state.
package textevent

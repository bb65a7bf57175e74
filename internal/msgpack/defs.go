package msgpack

// Type bytes, named as in the msgpack spec and in the manner of
// tinylib/msgp's defs.go. A fix type keeps its count or value in the low
// bits of the type byte: the constant is the byte with those bits zero,
// and the Is* predicates below test the high bits.
const (
	FixIntMax    byte = 0x7f // positive fixint: 0XXXXXXX
	FixMap       byte = 0x80 // 1000XXXX: up to 15 pairs
	FixArray     byte = 0x90 // 1001XXXX: up to 15 elements
	FixStr       byte = 0xa0 // 101XXXXX: up to 31 bytes
	Nil          byte = 0xc0
	reservedCode byte = 0xc1 // never used
	False        byte = 0xc2
	True         byte = 0xc3
	Bin8         byte = 0xc4
	Bin16        byte = 0xc5
	Bin32        byte = 0xc6
	Ext8         byte = 0xc7
	Ext16        byte = 0xc8
	Ext32        byte = 0xc9
	Float32      byte = 0xca
	Float64      byte = 0xcb
	Uint8        byte = 0xcc
	Uint16       byte = 0xcd
	Uint32       byte = 0xce
	Uint64       byte = 0xcf
	Int8         byte = 0xd0
	Int16        byte = 0xd1
	Int32        byte = 0xd2
	Int64        byte = 0xd3
	FixExt1      byte = 0xd4
	FixExt2      byte = 0xd5
	FixExt4      byte = 0xd6
	FixExt8      byte = 0xd7
	FixExt16     byte = 0xd8
	Str8         byte = 0xd9
	Str16        byte = 0xda
	Str32        byte = 0xdb
	Array16      byte = 0xdc
	Array32      byte = 0xdd
	Map16        byte = 0xde
	Map32        byte = 0xdf
	NegFixIntMin byte = 0xe0 // negative fixint: 111XXXXX, -32..-1
)

// Masks over a fix type byte.
const (
	first3 = 0xe0 // type bits of fixstr and negative fixint
	first4 = 0xf0 // type bits of fixmap and fixarray
	last4  = 0x0f // count of fixmap and fixarray
	last5  = 0x1f // length of fixstr
)

// IsFixInt reports a positive fixint, 0..127.
func IsFixInt(c byte) bool { return c <= FixIntMax }

// IsNegFixInt reports a negative fixint, -32..-1.
func IsNegFixInt(c byte) bool { return c&first3 == NegFixIntMin }

// IsFixMap reports a map of up to 15 pairs.
func IsFixMap(c byte) bool { return c&first4 == FixMap }

// IsFixArray reports an array of up to 15 elements.
func IsFixArray(c byte) bool { return c&first4 == FixArray }

// IsFixStr reports a string of up to 31 bytes.
func IsFixStr(c byte) bool { return c&first3 == FixStr }

// IsMap reports a map header of any size.
func IsMap(c byte) bool { return IsFixMap(c) || c == Map16 || c == Map32 }

// IsContainer reports a map or an array header of any size.
func IsContainer(c byte) bool {
	return c&first3 == FixMap || c >= Array16 && c <= Map32 // fixmap, fixarray; array16 to map32
}

// IsStr reports a string of any size.
func IsStr(c byte) bool { return IsFixStr(c) || c >= Str8 && c <= Str32 }

// IsBin reports binary data of any size.
func IsBin(c byte) bool { return c >= Bin8 && c <= Bin32 }

// IsUint reports an unsigned integer with its own type byte (not a fixint).
func IsUint(c byte) bool { return c >= Uint8 && c <= Uint64 }

// IsInt reports a signed integer with its own type byte (not a fixint).
func IsInt(c byte) bool { return c >= Int8 && c <= Int64 }

// IsFloat reports a float32 or float64.
func IsFloat(c byte) bool { return c == Float32 || c == Float64 }

// isOneByte reports an object that is its type byte alone: a fixint, nil
// or a boolean.
func isOneByte(c byte) bool {
	return c <= FixIntMax || c >= NegFixIntMin || c == Nil || c == False || c == True
}

// fixCount is the count a fixmap or fixarray keeps in its type byte.
func fixCount(c byte) int { return int(c & last4) }

// fixStrLen is the length a fixstr keeps in its type byte.
func fixStrLen(c byte) int { return int(c & last5) }

// Package evtx reads Windows event log files (.evtx) into events in the
// shape evtx_dump gives them as JSON, written as msgpack: the shape the
// filter reads a Windows event in.
//
// The reader is written from the published format (the EVTX file and
// chunk layout, and the binary XML of Microsoft's MS-EVEN6): a 4096-byte
// file header, then chunks of 64 KiB, each with a CRC32 of its header and
// of its event records; each record holds a binary XML fragment, usually a
// template instance whose definition is kept once per chunk and filled
// with substitution values.
//
// It is bounded: the file is read a chunk at a time, every length is
// checked against the chunk it points into, and nesting, template depth,
// substitution counts and the size of what one record expands to are
// capped. A corrupt file never panics: a record that cannot be read, or a
// chunk whose header is corrupt, is reported in Stats and skipped, and the
// rest of the file is read.
//
// Element shape (as evtx_dump): an element's children become keys (a
// repeated one Name, Name_1, Name_2, ...), its attributes a "#attributes"
// map, text beside attributes or children "#text", an element with
// neither null. Typed values keep their type (EventID, ProcessId are
// numbers). <Data Name="X">v</Data> is the key X with the value v, "" when
// empty; unnamed <Data> values form the list "Data" (evtx_dump writes
// {"#text": [...]} there).
package evtx

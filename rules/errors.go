package rules

// This file holds the compile errors: the CompileError a skipped rule
// carries, the kinds that sort them, and the wrappers that carry a kind and
// a location up to it.

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupported marks rules that use a Sigma feature this engine does not
// evaluate yet. Such rules are skipped rather than evaluated wrongly.
var ErrUnsupported = errors.New("unsupported")

// ErrorKind sorts compile errors by cause, so a load summary can count
// them without reading their messages.
type ErrorKind uint8

const (
	KindOther                ErrorKind = iota // not sorted, such as a file that could not be read
	KindYAML                                  // the file is not valid YAML
	KindNotARule                              // a YAML document that is not a Sigma rule
	KindParse                                 // a rule whose structure or types sigma-go rejects
	KindMetadata                              // a metadata value such as the level is unknown
	KindDuplicate                             // a rule id already loaded
	KindUnsupportedModifier                   // a modifier this engine does not know
	KindModifierCombination                   // modifiers (or null) that cannot go together
	KindUnsupportedValue                      // a value of a type Sigma does not compare
	KindBadValue                              // a value its modifiers cannot take
	KindBadRegex                              // a regular expression RE2 cannot compile
	KindBadCIDR                               // a cidr value that is not a prefix
	KindBadNumber                             // a value of lt, lte, gt or gte that is not a number
	KindUnknownPlaceholder                    // an expand placeholder no placeholders file defines
	KindBadSearch                             // a search with nothing in it
	KindBadCondition                          // a condition that does not parse or names nothing
	KindUnsupportedConstruct                  // aggregations, and correlation forms not evaluated
	KindInternal                              // a panic while compiling
	KindBadCorrelation                        // a correlation definition that is incomplete or invalid
	KindBadReference                          // a correlation reference that is missing, failed, ambiguous or cyclic
)

var kindNames = [...]string{
	KindOther:                "other",
	KindYAML:                 "yaml syntax",
	KindNotARule:             "not a rule",
	KindParse:                "parse error",
	KindMetadata:             "bad metadata",
	KindDuplicate:            "duplicate rule",
	KindUnsupportedModifier:  "unsupported modifier",
	KindModifierCombination:  "modifier combination",
	KindUnsupportedValue:     "unsupported value",
	KindBadValue:             "bad value",
	KindBadRegex:             "bad regular expression",
	KindBadCIDR:              "bad cidr",
	KindBadNumber:            "bad number",
	KindUnknownPlaceholder:   "unknown placeholder",
	KindBadSearch:            "bad search",
	KindBadCondition:         "bad condition",
	KindUnsupportedConstruct: "unsupported construct",
	KindInternal:             "internal error",
	KindBadCorrelation:       "bad correlation",
	KindBadReference:         "bad reference",
}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ErrorKind(%d)", k)
}

// CompileError says why one rule could not be compiled, and where.
type CompileError struct {
	File   string
	RuleID string
	Line   int // 1-based; 0 when unknown
	Column int
	Kind   ErrorKind
	Err    error
}

func (e *CompileError) Error() string {
	var b strings.Builder
	b.WriteString("rules: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	}
	if e.RuleID != "" {
		fmt.Fprintf(&b, "rule %s: ", e.RuleID)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *CompileError) Unwrap() error { return e.Err }

// kindError gives err a kind; its text is err's.
type kindError struct {
	kind ErrorKind
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }

// errorf formats an error of the given kind; %w wraps as in fmt.Errorf.
func errorf(kind ErrorKind, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

// kindOf returns the first kind in err's chain, or KindOther.
func kindOf(err error) ErrorKind {
	var ce *CompileError
	if errors.As(err, &ce) && ce.Kind != KindOther {
		return ce.Kind
	}
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.kind
	}
	return KindOther
}

// positioned is what sigma-go's condition, search and field matcher share.
type positioned interface{ Position() (int, int) }

func errorAt(p positioned, err error) error {
	line, col := p.Position()
	return &posError{line: line + 1, col: col + 1, err: err}
}

// posError carries a position up to compileRule, which folds it into the
// CompileError it returns.
type posError struct {
	line, col int
	err       error
}

func (e *posError) Error() string { return e.err.Error() }
func (e *posError) Unwrap() error { return e.err }

// placeError names where in the rule err happened ("search \"a\"",
// "field \"A\""), so a summary can drop the place and group by the cause.
type placeError struct {
	place string
	err   error
}

func (e *placeError) Error() string { return e.place + ": " + e.err.Error() }
func (e *placeError) Unwrap() error { return e.err }

// cause returns err without the layers that only say where it happened:
// the CompileError's file and rule, positions and places. A kind adds no
// text, so it goes too.
func cause(err error) error {
	for {
		switch e := err.(type) {
		case *CompileError:
			err = e.Err
		case *posError:
			err = e.err
		case *placeError:
			err = e.err
		case *kindError:
			err = e.err
		default:
			return err
		}
	}
}

package logs

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
)

// Normalized severities, the values of the severity label.
const (
	SeverityTrace   = "trace"
	SeverityDebug   = "debug"
	SeverityInfo    = "info"
	SeverityWarn    = "warn"
	SeverityError   = "error"
	SeverityFatal   = "fatal"
	SeverityUnknown = "unknown"
)

// NormalizeSeverity maps a level name as loggers spell it (ERROR, err, E,
// Warning, crit, panic, ...) to one of the normalized severities, or ""
// when it is not a level name.
func NormalizeSeverity(s string) string {
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), `"'[]()<>:`))
	// OTLP severity texts may carry a number: "ERROR2", "INFO4".
	s = strings.TrimRight(s, "0123456789")
	switch s {
	case "trace", "trc", "t", "finest", "finer":
		return SeverityTrace
	case "debug", "dbg", "d", "fine", "verbose", "v":
		return SeverityDebug
	case "info", "inf", "i", "information", "informational", "notice", "config":
		return SeverityInfo
	case "warn", "wrn", "w", "warning":
		return SeverityWarn
	case "error", "err", "e", "eror", "severe":
		return SeverityError
	case "fatal", "ftl", "f", "critical", "crit", "crt", "alert", "emerg", "emergency", "panic", "dpanic":
		return SeverityFatal
	case "unknown":
		return SeverityUnknown
	}
	return ""
}

// otlpSeverity maps an OTLP SeverityNumber (its ranges of four) and, when
// unset, the SeverityText.
func otlpSeverity(n plog.SeverityNumber, text string) string {
	switch {
	case n >= 1 && n <= 4:
		return SeverityTrace
	case n >= 5 && n <= 8:
		return SeverityDebug
	case n >= 9 && n <= 12:
		return SeverityInfo
	case n >= 13 && n <= 16:
		return SeverityWarn
	case n >= 17 && n <= 20:
		return SeverityError
	case n >= 21 && n <= 24:
		return SeverityFatal
	}
	return NormalizeSeverity(text)
}

// levelKeys are the keys under which structured lines carry their level.
var levelKeys = []string{"level", "lvl", "severity", "loglevel", "log.level", "levelname"}

// SeverityFromLine finds the level in a line: a logfmt key (level=error),
// a JSON key ("level":"error"), or a bare level word among the first tokens
// ("ERROR ...", "2026-01-01 12:00:00 [WARN] ..."). It returns "" when the
// line names none.
func SeverityFromLine(line string) string {
	if len(line) > 4096 {
		line = line[:4096]
	}
	lower := strings.ToLower(line)
	for _, k := range levelKeys {
		for _, pre := range []string{k + "=", `"` + k + `":`, `"` + k + `" :`} {
			i := strings.Index(lower, pre)
			if i < 0 || (i > 0 && isKeyChar(lower[i-1]) && pre[0] != '"') {
				continue
			}
			v := strings.TrimLeft(lower[i+len(pre):], ` "'`)
			end := strings.IndexAny(v, ` "',}]`+"\t")
			if end >= 0 {
				v = v[:end]
			}
			if sev := NormalizeSeverity(v); sev != "" {
				return sev
			}
		}
	}
	for i, f := range strings.Fields(line) {
		if i >= 4 {
			break
		}
		// Only upper-case words or bracketed ones: "error" in prose is not a level.
		t := strings.Trim(f, "[]():<>")
		if t != strings.ToUpper(t) && !strings.HasPrefix(f, "[") {
			continue
		}
		if len(t) < 3 { // single letters are too ambiguous in free text
			continue
		}
		if sev := NormalizeSeverity(t); sev != "" {
			return sev
		}
	}
	return ""
}

func isKeyChar(b byte) bool {
	return b == '_' || b == '.' || b == '-' || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
}

package kayenta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// The judge Kayenta ships; its semantics are what the import reproduces.
const netflixJudge = "NetflixACAJudge-v1.0"

// canaryConfig is the part of a Kayenta canary config the import reads.
type canaryConfig struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	RawJudge    json.RawMessage   `json:"judge"`
	Metrics     []json.RawMessage `json:"metrics"`
	Templates   map[string]string `json:"templates"`
	RawClass    json.RawMessage   `json:"classifier"`

	Judge      *judgeConfig      `json:"-"`
	Classifier *classifierConfig `json:"-"`
}

type judgeConfig struct {
	Name                string         `json:"name"`
	JudgeConfigurations map[string]any `json:"judgeConfigurations"`
}

type classifierConfig struct {
	GroupWeights    map[string]float64 `json:"groupWeights"`
	ScoreThresholds *thresholdsConfig  `json:"scoreThresholds"`
}

type thresholdsConfig struct {
	Pass     *float64 `json:"pass"`
	Marginal *float64 `json:"marginal"`
}

type metricConfig struct {
	Name                   string                     `json:"name"`
	Query                  json.RawMessage            `json:"query"`
	Groups                 []string                   `json:"groups"`
	AnalysisConfigurations map[string]json.RawMessage `json:"analysisConfigurations"`
	ScopeName              string                     `json:"scopeName"`
}

// queryConfig is PrometheusCanaryMetricSetQueryConfig.
type queryConfig struct {
	Type                 string   `json:"type"`
	ResourceType         string   `json:"resourceType"`
	MetricName           string   `json:"metricName"`
	LabelBindings        []string `json:"labelBindings"`
	GroupByFields        []string `json:"groupByFields"`
	CustomFilter         string   `json:"customFilter"`
	CustomInlineTemplate string   `json:"customInlineTemplate"`
	Template             string   `json:"template"`
	CustomFilterTemplate string   `json:"customFilterTemplate"`
}

// canaryAnalysis is analysisConfigurations.canary.
type canaryAnalysis struct {
	Direction    string          `json:"direction"`
	NaNStrategy  string          `json:"nanStrategy"`
	Critical     bool            `json:"critical"`
	MustHaveData bool            `json:"mustHaveData"`
	Muted        bool            `json:"muted"`
	EffectSize   json.RawMessage `json:"effectSize"`
	Outliers     json.RawMessage `json:"outliers"`
}

type effectSize struct {
	AllowedIncrease  *float64 `json:"allowedIncrease"`
	AllowedDecrease  *float64 `json:"allowedDecrease"`
	CriticalIncrease *float64 `json:"criticalIncrease"`
	CriticalDecrease *float64 `json:"criticalDecrease"`
	Measure          string   `json:"measure"`
}

type outliers struct {
	Strategy      string   `json:"strategy"`
	OutlierFactor *float64 `json:"outlierFactor"`
}

// decoder decodes parts of a config and collects warnings.
type decoder struct{ warnings []string }

func (d *decoder) warn(format string, a ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf(format, a...))
}

// object decodes raw, a JSON object at path, into v. Keys in used are
// read; keys in quiet are read past; any other key is a warning.
func (d *decoder) object(path string, raw json.RawMessage, v any, used, quiet []string) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil || keys == nil {
		return fmt.Errorf("%s: must be a JSON object, got %s", path, kindOf(raw))
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !slices.Contains(used, k) && !slices.Contains(quiet, k) {
			d.warn("%s: not used by the import; ignored", join(path, k))
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, describeJSONError(raw, err))
	}
	return nil
}

// parseConfig decodes a canary config, rejecting what is not one.
func (d *decoder) parseConfig(b []byte) (canaryConfig, error) {
	var cfg canaryConfig
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return cfg, errors.New("empty canary config")
	}
	if !json.Valid(b) {
		var v any
		return cfg, fmt.Errorf("canary config is not valid JSON: %w", describeJSONError(b, json.Unmarshal(b, &v)))
	}
	if b[0] != '{' {
		return cfg, fmt.Errorf("a canary config is a JSON object, got %s (GET /canaryConfig lists configs: send one of them)", kindOf(b))
	}
	var probe map[string]json.RawMessage
	_ = json.Unmarshal(b, &probe)
	if _, ok := probe["apiVersion"]; ok {
		return cfg, errors.New("this is an augur spec (it has apiVersion), not a Kayenta canary config")
	}
	if _, ok := probe["metrics"]; !ok {
		return cfg, errors.New("metrics: missing: a Kayenta canary config lists its metrics")
	}
	used := []string{"name", "description", "judge", "metrics", "templates", "classifier"}
	quiet := []string{"id", "applications", "configVersion", "createdTimestamp", "updatedTimestamp",
		"createdTimestampIso", "updatedTimestampIso", "createdBy", "updatedBy"}
	if err := d.object("config", b, &cfg, used, quiet); err != nil {
		return cfg, err
	}
	if len(cfg.RawClass) > 0 && string(cfg.RawClass) != "null" {
		cfg.Classifier = &classifierConfig{}
		if err := d.object("classifier", cfg.RawClass, cfg.Classifier, []string{"groupWeights", "scoreThresholds"}, nil); err != nil {
			return cfg, err
		}
	}
	if len(cfg.RawJudge) > 0 && string(cfg.RawJudge) != "null" {
		cfg.Judge = &judgeConfig{}
		if err := d.object("judge", cfg.RawJudge, cfg.Judge, []string{"name", "judgeConfigurations"}, nil); err != nil {
			return cfg, err
		}
	}
	if len(cfg.Metrics) == 0 {
		return cfg, errors.New("metrics: the config has no metric")
	}
	if j := cfg.Judge; j != nil {
		if j.Name != "" && j.Name != netflixJudge {
			d.warn("judge.name %s: not %s; metrics are judged by augur's Mann–Whitney judge", j.Name, netflixJudge)
		}
		if len(j.JudgeConfigurations) > 0 {
			d.warn("judge.judgeConfigurations: not used by the import; ignored")
		}
	}
	return cfg, nil
}

// describeJSONError turns a decoding error into one naming the place.
func describeJSONError(b []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := position(b, syn.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && typ.Field != "" {
		return fmt.Errorf("%s must be %s, got a JSON %s", typ.Field, typ.Type, typ.Value)
	}
	return err
}

// position converts a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// kindOf names the JSON type of raw for messages.
func kindOf(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

// join appends a key to a path ("config" is the root and is dropped).
func join(path, key string) string {
	if path == "config" {
		return key
	}
	return path + "." + key
}

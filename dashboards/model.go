package dashboards

// The part of Grafana's dashboard JSON model (schemaVersion 41) that
// augur's dashboards use. Field names and enumerations follow the
// dashboard schema in testdata/, which the tests validate every generated
// dashboard against.

// SchemaVersion is the dashboard model version the dashboards are written
// in; Grafana migrates older versions on load, never newer ones down.
const SchemaVersion = 41

// Dashboard is one dashboard.
type Dashboard struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	Description   string         `json:"description,omitempty"`
	Tags          []string       `json:"tags"`
	Timezone      string         `json:"timezone"`
	Editable      bool           `json:"editable"`
	GraphTooltip  int            `json:"graphTooltip"`
	Time          TimeRange      `json:"time"`
	Refresh       string         `json:"refresh,omitempty"`
	SchemaVersion int            `json:"schemaVersion"`
	Version       int            `json:"version"`
	Links         []Link         `json:"links"`
	Panels        []Panel        `json:"panels"`
	Templating    Templating     `json:"templating"`
	Annotations   AnnotationList `json:"annotations"`
}

// TimeRange is the dashboard's default time range ("now-6h" to "now").
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Link is a link in the dashboard's header to other dashboards (by tag).
type Link struct {
	Title       string   `json:"title"`
	Type        string   `json:"type"` // "dashboards" or "link"
	Tags        []string `json:"tags"`
	AsDropdown  bool     `json:"asDropdown"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
	TargetBlank bool     `json:"targetBlank"`
	Icon        string   `json:"icon"`
	Tooltip     string   `json:"tooltip"`
	URL         string   `json:"url"`
}

// DataSourceRef names a data source by plugin type and UID (a variable
// such as "${datasource}" is resolved by Grafana).
type DataSourceRef struct {
	Type string `json:"type,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// Panel types augur's dashboards use.
const (
	PanelTimeSeries    = "timeseries"
	PanelStat          = "stat"
	PanelTable         = "table"
	PanelStateTimeline = "state-timeline"
	PanelBarGauge      = "bargauge"
	PanelRow           = "row"
)

// Panel is one panel. Options are the panel plugin's own (free-form in
// the model).
type Panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Datasource  *DataSourceRef `json:"datasource,omitempty"`
	GridPos     GridPos        `json:"gridPos"`
	Targets     []Target       `json:"targets,omitempty"`
	FieldConfig *FieldConfig   `json:"fieldConfig,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
	Interval    string         `json:"interval,omitempty"`
	// Collapsed and Rows are a row's: whether it is folded, and the
	// panels folded into it (none: the row heads the panels below it).
	Collapsed *bool    `json:"collapsed,omitempty"`
	Rows      *[]Panel `json:"panels,omitempty"`
}

// GridPos places a panel on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Target is a Prometheus query of a panel.
type Target struct {
	RefID        string         `json:"refId"`
	Datasource   *DataSourceRef `json:"datasource,omitempty"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat,omitempty"`
	// Range and Instant choose query_range or an instant query; the
	// Prometheus data source sends either.
	Range   bool   `json:"range"`
	Instant bool   `json:"instant"`
	Format  string `json:"format,omitempty"` // "time_series" or "table"
	// EditorMode "code" opens the query as text, not in the builder.
	EditorMode string `json:"editorMode"`
}

// FieldConfig is the panel's field defaults and overrides.
type FieldConfig struct {
	Defaults  FieldDefaults `json:"defaults"`
	Overrides []Override    `json:"overrides"`
}

// FieldDefaults are the options applied to every field.
type FieldDefaults struct {
	Unit       string         `json:"unit,omitempty"`
	Decimals   *int           `json:"decimals,omitempty"`
	Min        *float64       `json:"min,omitempty"`
	Max        *float64       `json:"max,omitempty"`
	NoValue    string         `json:"noValue,omitempty"`
	Color      *FieldColor    `json:"color,omitempty"`
	Thresholds *Thresholds    `json:"thresholds,omitempty"`
	Mappings   []ValueMapping `json:"mappings,omitempty"`
	Links      []Link         `json:"links,omitempty"`
	Custom     map[string]any `json:"custom,omitempty"`
}

// FieldColor is how a field is coloured ("thresholds", "palette-classic",
// "fixed").
type FieldColor struct {
	Mode       string `json:"mode"`
	FixedColor string `json:"fixedColor,omitempty"`
}

// Thresholds colour values by steps; the first step's Value is null (the
// base colour).
type Thresholds struct {
	Mode  string `json:"mode"` // "absolute" or "percentage"
	Steps []Step `json:"steps"`
}

// Step is one threshold step.
type Step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// ValueMapping maps values to text and colours ("value" mappings).
type ValueMapping struct {
	Type    string                  `json:"type"`
	Options map[string]MappedResult `json:"options"`
}

// MappedResult is what a mapped value shows.
type MappedResult struct {
	Text  string `json:"text,omitempty"`
	Color string `json:"color,omitempty"`
	Index int    `json:"index"`
}

// Override changes the options of the fields a matcher selects. The
// dashboards use none: the schema types a matcher's options as an object,
// where Grafana's byName matcher reads a string.
type Override struct {
	Matcher    Matcher          `json:"matcher"`
	Properties []map[string]any `json:"properties"`
}

// Matcher selects fields.
type Matcher struct {
	ID      string         `json:"id"`
	Options map[string]any `json:"options,omitempty"`
}

// Templating holds the dashboard's variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable types augur's dashboards use.
const (
	VarDatasource = "datasource"
	VarQuery      = "query"
	VarTextbox    = "textbox"
	VarCustom     = "custom"
)

// Refresh: when a query variable reads its values.
const (
	RefreshOnLoad      = 1
	RefreshOnTimeRange = 2
)

// Variable is one template variable.
type Variable struct {
	Type        string           `json:"type"`
	Name        string           `json:"name"`
	Label       string           `json:"label,omitempty"`
	Description string           `json:"description,omitempty"`
	Query       string           `json:"query"`
	Definition  string           `json:"definition,omitempty"`
	Datasource  *DataSourceRef   `json:"datasource,omitempty"`
	Current     *VariableOption  `json:"current,omitempty"`
	Options     []VariableOption `json:"options"`
	Refresh     int              `json:"refresh,omitempty"`
	Sort        int              `json:"sort,omitempty"`
	Hide        int              `json:"hide"`
	Multi       bool             `json:"multi"`
	IncludeAll  bool             `json:"includeAll"`
	Regex       string           `json:"regex,omitempty"`
}

// VariableOption is a variable's value and its displayed text.
type VariableOption struct {
	Selected bool   `json:"selected,omitempty"`
	Text     string `json:"text"`
	Value    string `json:"value"`
}

// AnnotationList holds the dashboard's annotation queries.
type AnnotationList struct {
	List []Annotation `json:"list"`
}

// Annotation is an annotation query: Grafana's own annotations (built-in,
// or by tags), or a Prometheus expression whose series mark events where
// their value is 1 (consecutive points, one step apart, make a region).
type Annotation struct {
	Name       string            `json:"name"`
	Datasource *DataSourceRef    `json:"datasource"`
	Enable     bool              `json:"enable"`
	Hide       bool              `json:"hide"`
	IconColor  string            `json:"iconColor"`
	BuiltIn    int               `json:"builtIn,omitempty"`
	Type       string            `json:"type,omitempty"`
	Target     *AnnotationTarget `json:"target,omitempty"`
	// Prometheus annotations.
	Expr            string `json:"expr,omitempty"`
	Step            string `json:"step,omitempty"`
	TitleFormat     string `json:"titleFormat,omitempty"`
	TextFormat      string `json:"textFormat,omitempty"`
	TagKeys         string `json:"tagKeys,omitempty"`
	UseValueForTime bool   `json:"useValueForTime,omitempty"`
}

// AnnotationTarget selects Grafana's own annotations: those of the
// dashboard, or those carrying Tags.
type AnnotationTarget struct {
	Type     string   `json:"type"` // "dashboard" or "tags"
	Tags     []string `json:"tags"`
	Limit    int      `json:"limit"`
	MatchAny bool     `json:"matchAny"`
}

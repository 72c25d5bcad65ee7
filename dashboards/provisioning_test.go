package dashboards

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Grafana's provisioning files (pkg/services/provisioning/datasources
// and dashboards: configs of apiVersion 1), as far as augur's set them.
type datasourcesFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string         `yaml:"name"`
		UID       string         `yaml:"uid"`
		Type      string         `yaml:"type"`
		Access    string         `yaml:"access"`
		URL       string         `yaml:"url"`
		IsDefault bool           `yaml:"isDefault"`
		Editable  bool           `yaml:"editable"`
		JSONData  map[string]any `yaml:"jsonData"`
	} `yaml:"datasources"`
}

type dashboardsFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		OrgID                 int    `yaml:"orgId"`
		Folder                string `yaml:"folder"`
		FolderUID             string `yaml:"folderUid"`
		Type                  string `yaml:"type"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestProvisioning parses the data source and dashboard provider files:
// augur as a Prometheus data source whose name the dashboards' variable
// picks by default, and a file provider.
func TestProvisioning(t *testing.T) {
	var ds datasourcesFile
	decodeStrict(t, "../deploy/grafana/provisioning/datasources/augur.yaml", &ds)
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 {
		t.Fatalf("datasources: %+v", ds)
	}
	d := ds.Datasources[0]
	def := Overview().Templating.List[0].Current.Value
	if d.Type != "prometheus" || d.Access != "proxy" || !strings.HasPrefix(d.URL, "http") || d.Name != def ||
		d.JSONData["httpMethod"] != "POST" || d.JSONData["timeInterval"] != "15s" {
		t.Errorf("data source %+v (the dashboards pick %q)", d, def)
	}

	var db dashboardsFile
	decodeStrict(t, "../deploy/grafana/provisioning/dashboards/augur.yaml", &db)
	if db.APIVersion != 1 || len(db.Providers) != 1 {
		t.Fatalf("providers: %+v", db)
	}
	p := db.Providers[0]
	if p.Type != "file" || p.Options.Path == "" || p.OrgID != 1 || p.Folder == "" || p.UpdateIntervalSeconds <= 0 {
		t.Errorf("provider %+v", p)
	}
}

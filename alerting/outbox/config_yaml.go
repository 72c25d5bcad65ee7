package outbox

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/augurhq/augur/alerting/alertmanager"
	"github.com/augurhq/augur/alerting/email"
	"github.com/augurhq/augur/alerting/grafana"
	"github.com/augurhq/augur/alerting/msteams"
	"github.com/augurhq/augur/alerting/pagerduty"
	"github.com/augurhq/augur/alerting/signedwebhook"
	"github.com/augurhq/augur/alerting/slack"
)

// UnmarshalYAML reads a receiver strictly, each integration starting from
// its package's DefaultConfig, so that a field left out takes its default
// (a node's Decode neither applies defaults nor rejects unknown fields).
func (r *ReceiverConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a receiver is a mapping with name and one integration", n.Line)
	}
	var out ReceiverConfig
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		var err error
		switch key.Value {
		case "name":
			err = val.Decode(&out.Name)
		case "guard":
			err = strictDecode(val, &out.Guard)
		case "webhook":
			c := signedwebhook.DefaultConfig()
			err, out.Webhook = strictDecode(val, &c), &c
		case "slack":
			c := slack.DefaultConfig()
			err, out.Slack = strictDecode(val, &c), &c
		case "msteams":
			c := msteams.DefaultConfig()
			err, out.MSTeams = strictDecode(val, &c), &c
		case "pagerduty":
			c := pagerduty.DefaultConfig()
			err, out.PagerDuty = strictDecode(val, &c), &c
		case "email":
			c := email.DefaultConfig()
			err, out.Email = strictDecode(val, &c), &c
		case "alertmanager":
			c := alertmanager.DefaultConfig()
			err, out.Alertmanager = strictDecode(val, &c), &c
		case "grafana":
			c := grafana.DefaultConfig()
			err, out.Grafana = strictDecode(val, &c), &c
		default:
			return fmt.Errorf("line %d: field %s not found in a receiver (want name, guard, and one of webhook, slack, msteams, pagerduty, email, alertmanager, grafana)", key.Line, key.Value)
		}
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", key.Line, key.Value, err)
		}
	}
	*r = out
	return nil
}

// strictDecode decodes n into v rejecting unknown fields.
func strictDecode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

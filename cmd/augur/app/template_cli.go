package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"go.yaml.in/yaml/v3"

	"github.com/augurhq/augur/analysis"
)

// DefaultServerURL is where the client commands find augur by default
// (augur serve's default listen address).
const DefaultServerURL = "http://127.0.0.1:8080"

// templateTimeout bounds one template command's request.
const templateTimeout = 30 * time.Second

// TemplateCLI is `augur template apply|list|get|delete`: the full command
// names, for the caller's dispatch, and their flags.
type TemplateCLI struct {
	Apply, List, Get, Delete string

	server, file, name, delName string
}

// TemplateCommands declares the template commands on a.
func TemplateCommands(a *kingpin.Application) *TemplateCLI {
	c := &TemplateCLI{}
	cmd := a.Command("template", "Manage experiment templates on a running augur: specs with ${args.NAME} placeholders, instantiated once per idempotency key.")
	cmd.Flag("server", "The augur server's URL.").Default(DefaultServerURL).Envar("AUGUR_SERVER").StringVar(&c.server)
	apply := cmd.Command("apply", "Create or replace a template from a YAML or JSON file; prints whether it was created or updated.")
	apply.Flag("file", "Template file (YAML or JSON), or - for stdin.").Short('f').Required().StringVar(&c.file)
	list := cmd.Command("list", "List the templates.")
	get := cmd.Command("get", "Print a template as YAML (which apply takes back).")
	get.Arg("name", "Template name.").Required().StringVar(&c.name)
	del := cmd.Command("delete", "Delete a template; its instances and their experiments stay.")
	del.Arg("name", "Template name.").Required().StringVar(&c.delName)
	c.Apply, c.List, c.Get, c.Delete = apply.FullCommand(), list.FullCommand(), get.FullCommand(), del.FullCommand()
	return c
}

// Run runs the template command cmd and returns the exit code: 0 done, 1
// refused or failed, 2 bad input (an unreadable file, a bad URL).
func (c *TemplateCLI) Run(ctx context.Context, cmd string, out, errOut io.Writer, stdin io.Reader) int {
	ctx, cancel := context.WithTimeout(ctx, templateTimeout)
	defer cancel()
	base, err := serverURL(c.server)
	if err == nil {
		switch cmd {
		case c.Apply:
			err = c.apply(ctx, base, out, stdin)
		case c.List:
			err = c.list(ctx, base, out)
		case c.Get:
			err = c.get(ctx, base, out)
		case c.Delete:
			err = c.delete(ctx, base, out)
		default:
			err = fmt.Errorf("%w: unknown command %q", ErrBadInput, cmd)
		}
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(errOut, "augur template:", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	if errors.Is(err, ErrBadInput) {
		return 2
	}
	return 1
}

func serverURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: --server must be an http(s) URL, got %q", ErrBadInput, s)
	}
	return strings.TrimSuffix(s, "/"), nil
}

func (c *TemplateCLI) apply(ctx context.Context, base string, out io.Writer, stdin io.Reader) error {
	var r = stdin
	if c.file != "-" {
		f, err := os.Open(c.file)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadInput, c.file, err)
	}
	t, err := analysis.ParseTemplate(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadInput, c.file, err)
	}
	if t.Name == "" {
		return fmt.Errorf("%w: %s: name: a template needs a name", ErrBadInput, c.file)
	}
	var rec analysis.TemplateRecord
	code, err := templateCall(ctx, http.MethodPut, base+"/api/v1/templates/"+url.PathEscape(t.Name), body, &rec, http.StatusOK, http.StatusCreated)
	if err != nil {
		return err
	}
	verb := "updated"
	if code == http.StatusCreated {
		verb = "created"
	}
	fmt.Fprintf(out, "template %s %s (version %d)\n", rec.Name, verb, rec.Version)
	return nil
}

func (c *TemplateCLI) list(ctx context.Context, base string, out io.Writer) error {
	var list struct {
		Templates []analysis.TemplateRecord `json:"templates"`
	}
	if _, err := templateCall(ctx, http.MethodGet, base+"/api/v1/templates", nil, &list, http.StatusOK); err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tVERSION\tARGS\tUPDATED")
	for _, t := range list.Templates {
		args := make([]string, len(t.Args))
		for i, a := range t.Args {
			args[i] = a.Name
			if a.Required && a.Default == nil {
				args[i] += "*"
			}
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", t.Name, t.Version, strings.Join(args, ","), t.UpdatedAt.Format(time.RFC3339))
	}
	return w.Flush()
}

func (c *TemplateCLI) get(ctx context.Context, base string, out io.Writer) error {
	var rec analysis.TemplateRecord
	if _, err := templateCall(ctx, http.MethodGet, base+"/api/v1/templates/"+url.PathEscape(c.name), nil, &rec, http.StatusOK); err != nil {
		return err
	}
	fmt.Fprintf(out, "# version %d, updated %s\n", rec.Version, rec.UpdatedAt.Format(time.RFC3339))
	enc := yaml.NewEncoder(out)
	enc.SetIndent(2)
	if err := enc.Encode(rec.Template); err != nil {
		return err
	}
	return enc.Close()
}

func (c *TemplateCLI) delete(ctx context.Context, base string, out io.Writer) error {
	if _, err := templateCall(ctx, http.MethodDelete, base+"/api/v1/templates/"+url.PathEscape(c.delName), nil, nil, http.StatusNoContent); err != nil {
		return err
	}
	fmt.Fprintf(out, "template %s deleted\n", c.delName)
	return nil
}

// templateCall sends a request and decodes a wanted answer into out. Any
// other answer is an error with the server's message and invalid fields.
func templateCall(ctx context.Context, method, target string, body []byte, out any, want ...int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/yaml")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	for _, w := range want {
		if resp.StatusCode != w {
			continue
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, target, err)
			}
		}
		return resp.StatusCode, nil
	}
	var e struct {
		Error  string `json:"error"`
		Fields []struct {
			Field, Message string
		} `json:"fields"`
	}
	if json.Unmarshal(b, &e) != nil || e.Error == "" {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, target, resp.StatusCode, bytes.TrimSpace(b))
	}
	msg := fmt.Sprintf("HTTP %d: %s", resp.StatusCode, e.Error)
	if len(e.Fields) > 1 {
		for _, f := range e.Fields {
			msg += "\n" + strings.TrimPrefix(f.Field+": "+f.Message, ": ")
		}
	}
	return resp.StatusCode, errors.New(msg)
}

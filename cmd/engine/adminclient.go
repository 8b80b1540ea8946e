package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/otcdesk/engine/config"
)

// adminClient speaks to a running engine's admin API.
type adminClient struct {
	base   string
	token  string
	client *http.Client
}

// clientFlags are the flags of every command that asks a running engine.
type clientFlags struct {
	addr, config, cacert string
	json                 bool
}

func (cf *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&cf.addr, "addr", "", "admin API: host:port or URL (default: admin.addr of -config, https when admin.tls_cert is set)")
	fs.StringVar(&cf.config, "config", defaultConfigPath, "configuration file naming the admin listener")
	fs.StringVar(&cf.cacert, "cacert", "", "PEM file of the CA that signed the admin certificate (default: the system's)")
	fs.BoolVar(&cf.json, "json", false, "print the API's JSON answer")
}

// errNoToken: neither ADMIN_TOKEN nor ADMIN_TOKEN_FILE is set.
var errNoToken = errors.New("set ADMIN_TOKEN (or ADMIN_TOKEN_FILE) to the engine's admin token")

// client builds the client: the address from -addr or the configuration,
// the token from the environment.
func (cf *clientFlags) client(e *env) (*adminClient, error) {
	secrets, err := config.LoadSecrets(e.getenv)
	if err != nil {
		return nil, err
	}
	if !secrets.AdminToken.IsSet() {
		return nil, errNoToken
	}
	base := cf.addr
	if base == "" {
		base = "127.0.0.1:9465"
		if cfg, err := config.Load(cf.config); err == nil {
			if cfg.Admin.Addr == "" {
				return nil, fmt.Errorf("%s: admin.addr is empty: the engine serves no admin API", cf.config)
			}
			base = cfg.Admin.Addr
			if cfg.Admin.TLSCert != "" {
				base = "https://" + base
			}
		}
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cf.cacert != "" {
		pem, err := os.ReadFile(cf.cacert)
		if err != nil {
			return nil, fmt.Errorf("-cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-cacert %s: no PEM certificate in it", cf.cacert)
		}
		tlsConfig.RootCAs = pool
	}
	return &adminClient{base: strings.TrimRight(base, "/"), token: secrets.AdminToken.Reveal(), client: &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment},
		// The token must not follow a redirect elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// do sends one request with body as JSON (nil: none) and returns the
// status and the raw answer.
func (c *adminClient) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, c.base+path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, b, err
}

// answerError is the error an admin answer carries, or its status.
func answerError(code int, b []byte) string {
	var m struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
		Status string `json:"status"`
		State  string `json:"state"`
	}
	if json.Unmarshal(b, &m) == nil {
		switch {
		case m.Error != "":
			return m.Error
		case m.Detail != "" && m.Status+m.State != "":
			return m.Status + m.State + ": " + m.Detail
		case m.Detail != "":
			return m.Detail
		}
	}
	return http.StatusText(code)
}

package main

import (
	"debug/elf"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"guichet.dev/guichet/config"
)

// composeFile is what the deployment tests read of docker-compose.yml.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     any               `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]any    `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) *composeFile {
	t.Helper()
	data, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	var c composeFile
	require.NoError(t, yaml.Unmarshal(data, &c), "docker-compose.yml parses")
	return &c
}

// interpolate resolves compose's ${VAR:-default} and ${VAR:?message} the way compose does
// when VAR is unset: the default, or (for a required variable) a stand-in value.
func interpolate(s string) string {
	re := regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}`)
	return re.ReplaceAllStringFunc(s, func(m string) string {
		p := re.FindStringSubmatch(m)
		switch p[2] {
		case "-":
			return p[3]
		case "?":
			return "required-" + strings.ToLower(p[1])
		}
		return ""
	})
}

// configEnvNames returns every GUICHET_* variable the configuration reads.
func configEnvNames() map[string]bool {
	names := map[string]bool{}
	typ := reflect.TypeOf(config.Config{})
	for i := 0; i < typ.NumField(); i++ {
		if tag := typ.Field(i).Tag.Get("env"); tag != "" {
			names["GUICHET_"+tag] = true
		}
	}
	return names
}

func TestComposeWiresPostgresMattermostAndGuichet(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	require.ElementsMatch(t, []string{"db", "mattermost", "guichet"}, keys(c.Services))
	db, mm, g := c.Services["db"], c.Services["mattermost"], c.Services["guichet"]

	require.True(t, strings.HasPrefix(db.Image, "postgres:"), "db runs the official PostgreSQL image, not %q", db.Image)
	require.True(t, strings.HasPrefix(mm.Image, "mattermost/mattermost-team-edition:") || strings.HasPrefix(mm.Image, "mattermost/mattermost-enterprise-edition:"),
		"mattermost runs an official Mattermost image, not %q", mm.Image)
	require.NotNil(t, g.Build, "guichet is built from the Dockerfile")
	require.Contains(t, mm.DependsOn, "db")
	require.Contains(t, g.DependsOn, "db")

	// The databases the URLs name are the ones the init script creates.
	initSQL, err := os.ReadFile("../../deploy/initdb/01-databases.sql")
	require.NoError(t, err)
	dbURL := func(raw string) *url.URL {
		u, err := url.Parse(interpolate(raw))
		require.NoError(t, err, raw)
		require.Equal(t, "db:5432", u.Host, "%s reaches the db service", raw)
		require.Contains(t, string(initSQL), "CREATE DATABASE "+strings.TrimPrefix(u.Path, "/")+";")
		return u
	}
	dbURL(mm.Environment["MM_SQLSETTINGS_DATASOURCE"])
	_, hasPassword := dbURL(g.Environment["GUICHET_DATABASE_URL"]).User.Password()
	require.False(t, hasPassword, "the bot's database URL holds no password: GUICHET_DATABASE_PASSWORD does")
	require.NotEmpty(t, interpolate(g.Environment["GUICHET_DATABASE_PASSWORD"]))

	// Mattermost has what the bot needs, and may call the bot on the compose network.
	for _, key := range []string{"MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION", "MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS", "MM_SERVICESETTINGS_ENABLECOMMANDS"} {
		require.Equal(t, "true", mm.Environment[key], key)
	}
	public, err := url.Parse(g.Environment["GUICHET_PUBLIC_URL"])
	require.NoError(t, err)
	require.Equal(t, "guichet", public.Hostname(), "Mattermost reaches the bot by its service name")
	require.Contains(t, strings.Fields(mm.Environment["MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS"]), public.Hostname(),
		"without it Mattermost refuses to call the bot: address forbidden")
	mmURL, err := url.Parse(g.Environment["GUICHET_MATTERMOST_URL"])
	require.NoError(t, err)
	require.Equal(t, "mattermost:8065", mmURL.Host)
	listen := g.Environment["GUICHET_LISTEN"]
	require.True(t, strings.HasPrefix(listen, "0.0.0.0:"), "the bot listens on every interface of its container, not %q", listen)
	require.Equal(t, public.Port(), strings.TrimPrefix(listen, "0.0.0.0:"), "the bot listens where its public URL points")

	// Secrets come from the environment (.env), never written in the file.
	for _, key := range []string{"GUICHET_BOT_TOKEN", "GUICHET_COMMAND_TOKENS", "GUICHET_SIGNING_KEY", "GUICHET_DATABASE_PASSWORD"} {
		require.True(t, strings.HasPrefix(g.Environment[key], "${"), "%s comes from the environment, not %q", key, g.Environment[key])
	}
	for _, v := range []string{"db-data", "mm-data"} {
		require.Contains(t, c.Volumes, v)
	}
}

func TestComposeSetsOnlyRealConfigurationKeys(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	known := configEnvNames()
	require.True(t, known["GUICHET_DATABASE_URL"], "the configuration's env tags are read")
	set := 0
	for name, svc := range c.Services {
		for key := range svc.Environment {
			if strings.HasPrefix(key, "GUICHET_") {
				set++
				require.True(t, known[key], "service %s sets %s, which is no configuration key (see config.Config)", name, key)
			}
		}
	}
	require.Greater(t, set, 5)

	// The Dockerfile's own settings too.
	dockerfile, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`(?m)^ENV (GUICHET_[A-Z_]+)=`).FindAllStringSubmatch(string(dockerfile), -1) {
		require.True(t, known[m[1]], "the Dockerfile sets %s, which is no configuration key", m[1])
	}
}

// The binary the image holds builds without cgo and is statically linked: it runs on
// distroless/static, which has no C library.
func TestStaticBuild(t *testing.T) {
	t.Parallel()
	dockerfile, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	require.Contains(t, string(dockerfile), "CGO_ENABLED=0 go build")
	require.Contains(t, string(dockerfile), "distroless/static")
	require.Contains(t, string(dockerfile), "USER nonroot")

	out := filepath.Join(t.TempDir(), "guichet")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "CGO_ENABLED=0 go build: %s", b)
	f, err := elf.Open(out)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		require.NotEqual(t, elf.PT_INTERP, p.Type, "the binary asks for a dynamic loader")
	}
	libs, err := f.ImportedLibraries()
	require.NoError(t, err)
	require.Empty(t, libs, "the binary links C libraries")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

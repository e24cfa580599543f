package main

import (
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"guichet.dev/guichet/config"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/pgserver"
)

// initScriptPath is the script the postgres image runs on its first start.
const initScriptPath = "../../deploy/initdb/01-roles.sh"

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
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
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

	// The databases the URLs name are the ones the init script creates, owned by the role
	// each URL connects as.
	initScript, err := os.ReadFile(initScriptPath)
	require.NoError(t, err)
	dbURL := func(raw string) *url.URL {
		u, err := url.Parse(interpolate(raw))
		require.NoError(t, err, raw)
		require.Equal(t, "db:5432", u.Host, "%s reaches the db service", raw)
		require.Contains(t, string(initScript), "CREATE DATABASE "+strings.TrimPrefix(u.Path, "/")+" OWNER "+u.User.Username()+";")
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

// composeVar matches compose's interpolations: ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}.
var composeVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?:(:?[-?])([^}]*))?\}`)

// requiredVar returns the variable of a value that is exactly ${VAR:?message}, or "".
func requiredVar(value string) string {
	m := composeVar.FindStringSubmatch(value)
	if m == nil || m[0] != value || m[2] != ":?" {
		return ""
	}
	return m[1]
}

// No password or key has a default: compose refuses to start until .env gives each one.
func TestComposeHasNoDefaultPassword(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	for _, m := range composeVar.FindAllStringSubmatch(string(raw), -1) {
		if m[2] == "-" || m[2] == ":-" {
			require.Empty(t, m[3], "%s has a default value", m[0])
		}
		if strings.Contains(m[1], "PASSWORD") || strings.Contains(m[1], "KEY") {
			require.Equal(t, ":?", m[2], "%s: compose must refuse to start without it", m[0])
		}
	}

	c := readCompose(t)
	db, mm, g := c.Services["db"], c.Services["mattermost"], c.Services["guichet"]
	for _, v := range []string{db.Environment["POSTGRES_PASSWORD"], g.Environment["GUICHET_DATABASE_PASSWORD"], g.Environment["GUICHET_SIGNING_KEY"]} {
		require.NotEmpty(t, requiredVar(v), "%q is not a required variable", v)
	}
	mmURL := composeVar.ReplaceAllStringFunc(mm.Environment["MM_SQLSETTINGS_DATASOURCE"], func(v string) string {
		require.NotEmpty(t, requiredVar(v), "%s in Mattermost's data source", v)
		return "from-env"
	})
	u, err := url.Parse(mmURL)
	require.NoError(t, err)
	password, ok := u.User.Password()
	require.True(t, ok, "Mattermost's data source has a password")
	require.Equal(t, "from-env", password, "Mattermost's database password comes from the environment")
}

// Mattermost and Guichet each connect with a role of their own, not the superuser; the init
// script creates each role with the password the service connects with.
func TestComposeGivesEachServiceItsOwnDatabaseRole(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	db, mm, g := c.Services["db"], c.Services["mattermost"], c.Services["guichet"]
	superuser := db.Environment["POSTGRES_USER"]
	require.NotEmpty(t, superuser)
	require.Contains(t, db.Volumes, "./deploy/initdb:/docker-entrypoint-initdb.d:ro")
	script, err := os.ReadFile(initScriptPath)
	require.NoError(t, err)

	// passwordFor returns the db service's variable that carries role's password to the
	// script, and the .env variable behind it.
	passwordFor := func(role string) (string, string) {
		m := regexp.MustCompile(`-v ` + role + `_password="\$([A-Z_]+)"`).FindStringSubmatch(string(script))
		require.NotNil(t, m, "the init script gives psql %s's password", role)
		require.Contains(t, string(script), "CREATE ROLE "+role+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'"+role+"_password';")
		envVar := requiredVar(db.Environment[m[1]])
		require.NotEmpty(t, envVar, "the db service gets %s from .env", m[1])
		return m[1], envVar
	}

	mmURL, err := url.Parse(interpolate(mm.Environment["MM_SQLSETTINGS_DATASOURCE"]))
	require.NoError(t, err)
	require.Equal(t, "mattermost", mmURL.User.Username())
	_, mmVar := passwordFor("mattermost")
	require.Contains(t, mm.Environment["MM_SQLSETTINGS_DATASOURCE"], "postgres://mattermost:${"+mmVar+":?")

	gURL, err := url.Parse(g.Environment["GUICHET_DATABASE_URL"])
	require.NoError(t, err)
	require.Equal(t, "guichet", gURL.User.Username())
	_, gVar := passwordFor("guichet")
	require.Equal(t, gVar, requiredVar(g.Environment["GUICHET_DATABASE_PASSWORD"]))

	require.NotEqual(t, superuser, mmURL.User.Username())
	require.NotEqual(t, superuser, gURL.User.Username())
	require.NotEqual(t, mmVar, gVar, "one password per role")
	require.NotEqual(t, requiredVar(db.Environment["POSTGRES_PASSWORD"]), gVar)
	require.NotEqual(t, requiredVar(db.Environment["POSTGRES_PASSWORD"]), mmVar)
}

// The init script, run as the postgres image runs it against a real PostgreSQL, makes roles
// that are not superusers, reach their own database only, and can run what they run there:
// Guichet its migrations, Mattermost its tables.
func TestInitScriptMakesLeastPrivilegedRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := pgserver.Start(ctx, "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })

	cmd := exec.CommandContext(ctx, "sh", initScriptPath)
	cmd.Env = append(os.Environ(), "POSTGRES_USER=postgres", "POSTGRES_DB=postgres",
		"PGHOST=127.0.0.1", "PGPORT="+strconv.Itoa(srv.Port),
		// Quotes and dollars reach the role as typed: psql quotes them.
		"DB_PASSWORD_MATTERMOST=it's $(not) a 'command'", "DB_PASSWORD_GUICHET=g-secret")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	admin, err := sqlx.Open("postgres", srv.URL("postgres"))
	require.NoError(t, err)
	defer admin.Close()
	var roles []struct {
		Name      string `db:"rolname"`
		Super     bool   `db:"rolsuper"`
		CreateDB  bool   `db:"rolcreatedb"`
		CreateRol bool   `db:"rolcreaterole"`
		Password  string `db:"rolpassword"`
	}
	require.NoError(t, admin.SelectContext(ctx, &roles, `SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, coalesce(rolpassword, '') AS rolpassword
		FROM pg_authid WHERE rolname IN ('guichet', 'mattermost') ORDER BY rolname`))
	require.Len(t, roles, 2)
	for _, r := range roles {
		require.False(t, r.Super || r.CreateDB || r.CreateRol, "%s has powers beyond its database", r.Name)
		require.True(t, strings.HasPrefix(r.Password, "SCRAM-SHA-256$"), "%s has a password", r.Name)
	}

	as := func(role, dbname string) string {
		return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, srv.Port, dbname)
	}
	applied, err := db.MigrateURL(ctx, as("guichet", "guichet"))
	require.NoError(t, err, "Guichet migrates its database as its own role")
	require.NotEmpty(t, applied)
	mmDB, err := sqlx.Open("postgres", as("mattermost", "mattermost"))
	require.NoError(t, err)
	defer mmDB.Close()
	_, err = mmDB.ExecContext(ctx, `CREATE TABLE systems (name text PRIMARY KEY, value text)`)
	require.NoError(t, err, "Mattermost creates its tables as its own role")

	for _, cross := range []string{as("guichet", "mattermost"), as("mattermost", "guichet")} {
		other, err := sqlx.Open("postgres", cross)
		require.NoError(t, err)
		err = other.PingContext(ctx)
		other.Close()
		require.ErrorContains(t, err, "permission denied", "%s", cross)
	}
}

// .env holds the passwords, the signing key and the tokens: git never takes it, and neither
// does the image's build context.
func TestSecretsFileStaysOutOfGitAndImage(t *testing.T) {
	t.Parallel()
	for _, p := range []string{".env", "deploy/.env", ".env.local"} {
		cmd := exec.Command("git", "check-ignore", "-q", p)
		cmd.Dir = "../.."
		require.NoError(t, cmd.Run(), "git does not ignore %s", p)
	}
	dockerignore, err := os.ReadFile("../../.dockerignore")
	require.NoError(t, err)
	lines := strings.Fields(string(dockerignore))
	require.Contains(t, lines, ".env")
	require.Contains(t, lines, "**/.env")
}

// dockerfile is what the tests read of the Dockerfile's final stage.
type dockerfile struct {
	text        string
	final       []string // the instructions after the last FROM, continuation lines joined
	entrypoint  []string
	cmd         []string
	env         map[string]string
	healthcheck []string // the exec form of HEALTHCHECK CMD, if any
}

func readDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	raw, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	d := &dockerfile{text: string(raw), env: map[string]string{}}
	joined := strings.ReplaceAll(string(raw), "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "FROM ") {
			d.final = nil
		}
		if line != "" && !strings.HasPrefix(line, "#") {
			d.final = append(d.final, line)
		}
	}
	exec := func(s string) []string {
		var v []string
		require.NoError(t, json.Unmarshal([]byte(s), &v), "exec form expected: %s", s)
		return v
	}
	for _, line := range d.final {
		switch word, rest, _ := strings.Cut(line, " "); word {
		case "ENTRYPOINT":
			d.entrypoint = exec(rest)
		case "CMD":
			d.cmd = exec(rest)
		case "ENV":
			k, v, _ := strings.Cut(rest, "=")
			d.env[k] = v
		case "HEALTHCHECK":
			_, form, ok := strings.Cut(rest, "CMD ")
			require.True(t, ok, "HEALTHCHECK runs a command: %s", line)
			d.healthcheck = exec(strings.TrimSpace(form))
		}
	}
	return d
}

// The image holds the binary and nothing of the repository: no example configuration whose
// values would start the bot against localhost with a default coordinator.
func TestImageCarriesNoConfiguration(t *testing.T) {
	t.Parallel()
	d := readDockerfile(t)
	require.NotContains(t, d.text, "config.example.toml")
	for _, line := range d.final {
		if strings.HasPrefix(line, "COPY ") || strings.HasPrefix(line, "ADD ") {
			require.Contains(t, line, "--from=build", "the image takes only the built binary: %s", line)
		}
	}
	require.NotContains(t, strings.Join(d.cmd, " "), "--config")
}

// The image, started as its ENTRYPOINT and CMD say, with its ENV and the secrets but without
// the other required keys, refuses to start and names the first one missing.
func TestImageRefusesToStartWithoutItsRequiredKeys(t *testing.T) {
	d := readDockerfile(t)
	require.Equal(t, []string{"/usr/local/bin/guichet"}, d.entrypoint)
	require.NotEmpty(t, d.cmd)
	for name := range configEnvNames() {
		t.Setenv(name, "")
		require.NoError(t, os.Unsetenv(name))
	}
	for k, v := range d.env {
		t.Setenv(k, v)
	}
	t.Setenv("GUICHET_BOT_TOKEN", "bot-token")
	t.Setenv("GUICHET_COMMAND_TOKENS", "cmd-token")
	t.Setenv("GUICHET_SIGNING_KEY", strings.Repeat("k", 40))
	t.Chdir(t.TempDir()) // the image's working directory holds no config.toml

	missing := func(key string) {
		t.Helper()
		err := run(context.Background(), d.cmd, io.Discard, io.Discard)
		var ce *config.Error
		require.ErrorAs(t, err, &ce)
		require.Equal(t, key, ce.Key)
	}
	missing("database_url")
	t.Setenv("GUICHET_DATABASE_URL", "postgres://guichet@db:5432/guichet")
	missing("mattermost_url")
	t.Setenv("GUICHET_MATTERMOST_URL", "http://mattermost:8065")
	missing("public_url")
}

// The image's HEALTHCHECK runs the image's own binary (distroless has no shell nor curl)
// with a subcommand it has, against the operators' address, which listens on the container's
// loopback by default.
func TestImageHealthcheck(t *testing.T) {
	t.Parallel()
	d := readDockerfile(t)
	require.NotNil(t, d.healthcheck, "the image has a HEALTHCHECK")
	require.Equal(t, d.entrypoint[0], d.healthcheck[0], "the health check runs the image's binary")
	require.Greater(t, len(d.healthcheck), 1)
	require.Contains(t, subcommands, d.healthcheck[1])
	require.Equal(t, "healthcheck", d.healthcheck[1])
	_, set := d.env["GUICHET_OPS_LISTEN"]
	require.False(t, set, "the image keeps health and metrics on the container's loopback")
	require.Equal(t, "127.0.0.1:9090", config.Defaults().OpsListen, "where `guichet health` asks by default")

	// Compose checks Guichet's health as the image does.
	compose := readCompose(t)
	require.Equal(t, append([]string{"CMD"}, d.healthcheck...), compose.Services["guichet"].Healthcheck.Test,
		"compose runs the image's own health check")

	// Compose's health checks, if any, use no tool the images lack.
	for name, svc := range compose.Services {
		for _, word := range svc.Healthcheck.Test {
			require.NotContains(t, []string{"curl", "wget", "sh", "CMD-SHELL"}, word, "service %s", name)
		}
	}
}

// The address Mattermost calls is not published on the host; health and metrics are, on its
// loopback only, from the operators' address.
func TestComposePublishesOnlyHealthAndMetrics(t *testing.T) {
	t.Parallel()
	g := readCompose(t).Services["guichet"]
	ops := g.Environment["GUICHET_OPS_LISTEN"]
	require.True(t, strings.HasPrefix(ops, "0.0.0.0:"), "health and metrics reachable from outside the container, not %q", ops)
	opsPort := strings.TrimPrefix(ops, "0.0.0.0:")
	listenPort := strings.TrimPrefix(g.Environment["GUICHET_LISTEN"], "0.0.0.0:")
	require.NotEqual(t, listenPort, opsPort)
	require.Equal(t, []string{"127.0.0.1:" + opsPort + ":" + opsPort}, g.Ports)
}

// Each image compose runs is pinned to a release or a digest — major.minor.patch, or for
// PostgreSQL (from 10 on) major.minor, its minor being its patch release — and the build stage
// runs the Go of go.mod.
func TestImagesArePinned(t *testing.T) {
	t.Parallel()
	for name, svc := range readCompose(t).Services {
		if svc.Image == "" {
			continue
		}
		release := `\d+\.\d+\.\d+`
		if strings.HasPrefix(svc.Image, "postgres:") {
			release = `\d{2,}\.\d+`
		}
		require.Regexp(t, `(:`+release+`(-[a-z0-9.]+)?|@sha256:[0-9a-f]{64})$`, svc.Image, "service %s", name)
	}
	gomod, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	require.NotNil(t, goVersion)
	require.Contains(t, readDockerfile(t).text, "FROM golang:"+string(goVersion[1])+"-")
}

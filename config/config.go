// Package config reads Guichet's configuration: a TOML file (see config.example.toml), then
// environment variables GUICHET_<KEY> that override each key. Secrets (the bot token, the
// signing key, the database password) come only from the environment or from a file named by
// a *_file key or a GUICHET_*_FILE variable; a secret written in the TOML file is refused.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/caarlos0/env/v11"

	"guichet.dev/guichet"
)

// Config is the whole configuration. Each field's toml key is its name in the file; its env
// name, prefixed by GUICHET_, overrides it.
type Config struct {
	// DatabaseURL is the PostgreSQL URL, without its password (see DatabasePassword).
	DatabaseURL string `toml:"database_url" env:"DATABASE_URL"`
	// DatabasePassword, a secret, is put into DatabaseURL when set.
	DatabasePassword     string `toml:"-" env:"DATABASE_PASSWORD"`
	DatabasePasswordFile string `toml:"database_password_file" env:"DATABASE_PASSWORD_FILE"`

	// MattermostURL is the Mattermost server's base URL, e.g. https://chat.example.org.
	MattermostURL string `toml:"mattermost_url" env:"MATTERMOST_URL"`
	// BotToken, a secret, is the bot account's access token.
	BotToken     string `toml:"-" env:"BOT_TOKEN"`
	BotTokenFile string `toml:"bot_token_file" env:"BOT_TOKEN_FILE"`
	// CommandTokens are the slash command's tokens (secrets), comma-separated in the
	// environment; `guichet setup` prints them.
	CommandTokens     []string `toml:"-" env:"COMMAND_TOKENS"`
	CommandTokensFile string   `toml:"command_tokens_file" env:"COMMAND_TOKENS_FILE"`
	// SigningKey, a secret of at least 32 bytes, signs button contexts and dialog states.
	SigningKey     string `toml:"-" env:"SIGNING_KEY"`
	SigningKeyFile string `toml:"signing_key_file" env:"SIGNING_KEY_FILE"`

	// Listen is the host:port of the address Mattermost calls: it serves the slash command,
	// the buttons and the dialogs, nothing else. Default 127.0.0.1:8080.
	Listen string `toml:"listen" env:"LISTEN"`
	// OpsListen is the host:port of the operators' address: /healthz, /readyz (with what is
	// not ready) and /metrics. It must differ from Listen. Default 127.0.0.1:9090.
	OpsListen string `toml:"ops_listen" env:"OPS_LISTEN"`
	// PublicURL is the bot's base URL as Mattermost reaches it (for buttons and dialogs).
	PublicURL string `toml:"public_url" env:"PUBLIC_URL"`
	// Administrators may act on every event and add coordinators to any: each entry is a
	// Mattermost username (with or without "@"), resolved to its user id once and kept, or a
	// 26-character user id. Default none.
	Administrators []string `toml:"administrators" env:"ADMINISTRATORS"`
	// Coordinators is the deprecated name of Administrators: its entries are added to them,
	// with a warning (see Deprecations).
	Coordinators []string `toml:"coordinators" env:"COORDINATORS"`
	// Locale is the default language of messages: "fr" (default) or "en".
	Locale string `toml:"locale" env:"LOCALE"`
	// LogFormat is "json" (default) or "text"; LogLevel "debug", "info" (default), "warn", "error".
	LogFormat string `toml:"log_format" env:"LOG_FORMAT"`
	LogLevel  string `toml:"log_level" env:"LOG_LEVEL"`

	// ReminderDelivery is where structures get their reminders: "dm" (to each member, default)
	// or "channel" (the structure's channel).
	ReminderDelivery string `toml:"reminder_delivery" env:"REMINDER_DELIVERY"`
	// UnconfirmedAlert is when the coordinator is told who has not confirmed, relative to the
	// event: default "J-1@18:00".
	UnconfirmedAlert string `toml:"unconfirmed_alert" env:"UNCONFIRMED_ALERT"`
	// RecapAt is when the recap is posted, relative to the event: default "J+1@09:00".
	RecapAt string `toml:"recap_at" env:"RECAP_AT"`
	// SchedulerTick is how often the scheduler looks for due work. Default 30s.
	SchedulerTick time.Duration `toml:"scheduler_tick" env:"SCHEDULER_TICK"`
	// OutboxInFlight is how many offers the bot posts at once while publishing, each to a
	// different channel. Default 2; 1 to 8.
	OutboxInFlight int `toml:"outbox_in_flight" env:"OUTBOX_IN_FLIGHT"`
	// OfferEditGap is the least time between two edits of an offer (or of the status board)
	// asked for by claims; the claims in between are shown by one edit at the end. Default 3s;
	// 0 edits after every batch of claims; at most 1m.
	OfferEditGap time.Duration `toml:"offer_edit_gap" env:"OFFER_EDIT_GAP"`
	// OutboxLease is how long the messages a dispatcher takes are hidden from the other
	// replicas' dispatchers before it renews its hold on them (a test and operations knob; a
	// message about to be posted is held for its whole delivery whatever this says).
	// Default 2m; 1s to 1h.
	OutboxLease time.Duration `toml:"outbox_lease" env:"OUTBOX_LEASE"`
	// WaitlistOffer is how long the first structure in a full lot's line has to accept a
	// freed place before it goes to the next (shorter inside J-1: never past the start of the
	// event's day; see guichet.WaitlistOfferUntil). Default 24h; 1h to 168h.
	WaitlistOffer time.Duration `toml:"waitlist_offer" env:"WAITLIST_OFFER"`

	// Issuer is the network that coordinates and issues the client's documents (the [issuer]
	// section): its name, SIRET, address, VAT regime and rate, logo, and the client's payment
	// term (default 30 days). Documents are refused while what they need of it is missing.
	// Each key is also GUICHET_ISSUER_<KEY> (GUICHET_ISSUER_NAME, GUICHET_ISSUER_SIRET…).
	Issuer guichet.Issuer `toml:"issuer" envPrefix:"ISSUER_"`
	// Legal holds the legal mentions the documents print (the [legal] section); each left
	// empty takes its default, guichet.DefaultLegalMentions, which cites its source.
	Legal guichet.LegalMentions `toml:"legal" envPrefix:"LEGAL_"`
}

// Defaults returns the configuration with every default filled.
func Defaults() Config {
	return Config{
		Listen:           "127.0.0.1:8080",
		OpsListen:        "127.0.0.1:9090",
		Locale:           "fr",
		LogFormat:        "json",
		LogLevel:         "info",
		ReminderDelivery: "dm",
		UnconfirmedAlert: "J-1@18:00",
		RecapAt:          "J+1@09:00",
		SchedulerTick:    30 * time.Second,
		OutboxInFlight:   2,
		OfferEditGap:     3 * time.Second,
		OutboxLease:      2 * time.Minute,
		WaitlistOffer:    guichet.DefaultWaitlistOffer,
		Issuer:           guichet.Issuer{PaymentDays: 30},
		Legal:            guichet.DefaultLegalMentions(),
	}
}

// Error is a configuration error naming the key at fault.
type Error struct {
	Key, Env, Problem string
}

func (e *Error) Error() string {
	return fmt.Sprintf("configuration: %s (environment GUICHET_%s): %s", e.Key, e.Env, e.Problem)
}

// Load reads the file at path (none when empty), applies the environment and validates the
// result. Errors name the key.
func Load(path string) (*Config, error) {
	cfg := Defaults()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("configuration file: %w", err)
		}
		var raw map[string]any
		if err := toml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("configuration file %s: %w", path, err)
		}
		for _, secret := range []string{"bot_token", "signing_key", "command_tokens", "database_password"} {
			if _, ok := raw[secret]; ok {
				return nil, &Error{Key: secret, Env: strings.ToUpper(secret), Problem: "secrets are not read from the configuration file: set the environment variable, or " + secret + "_file to a file holding it"}
			}
		}
		md, err := toml.Decode(string(data), &cfg)
		if err != nil {
			return nil, fmt.Errorf("configuration file %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return nil, &Error{Key: und[0].String(), Env: strings.ToUpper(und[0].String()), Problem: "unknown key (see config.example.toml)"}
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Prefix: "GUICHET_"}); err != nil {
		return nil, fmt.Errorf("configuration from the environment: %w", err)
	}
	if err := cfg.readSecretFiles(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func (c *Config) readSecretFiles() error {
	read := func(key, file string, dst *string) error {
		if *dst != "" || file == "" {
			return nil
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return &Error{Key: key + "_file", Env: strings.ToUpper(key) + "_FILE", Problem: "cannot read the file: " + errors.Unwrap(err).Error()}
		}
		*dst = strings.TrimSpace(string(b))
		return nil
	}
	if err := read("bot_token", c.BotTokenFile, &c.BotToken); err != nil {
		return err
	}
	if err := read("signing_key", c.SigningKeyFile, &c.SigningKey); err != nil {
		return err
	}
	if err := read("database_password", c.DatabasePasswordFile, &c.DatabasePassword); err != nil {
		return err
	}
	if len(c.CommandTokens) == 0 {
		var tokens string
		if err := read("command_tokens", c.CommandTokensFile, &tokens); err != nil {
			return err
		}
		for _, t := range strings.FieldsFunc(tokens, func(r rune) bool { return r == ',' || r == '\n' }) {
			c.CommandTokens = append(c.CommandTokens, strings.TrimSpace(t))
		}
	}
	return nil
}

// Validate checks what every command needs: a database URL, a known locale and log settings;
// and that the issuer, when set, has a valid SIRET, VAT regime and rate, and payment term.
func (c *Config) Validate() error {
	if err := c.validateIssuer(); err != nil {
		return err
	}
	if c.DatabaseURL == "" {
		return &Error{Key: "database_url", Env: "DATABASE_URL", Problem: "missing: the PostgreSQL URL, e.g. postgres://guichet@localhost/guichet?sslmode=disable"}
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return &Error{Key: "database_url", Env: "DATABASE_URL", Problem: "must be a postgres:// URL"}
	}
	if c.Locale != "fr" && c.Locale != "en" {
		return &Error{Key: "locale", Env: "LOCALE", Problem: "must be fr or en"}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return &Error{Key: "log_format", Env: "LOG_FORMAT", Problem: "must be json or text"}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &Error{Key: "log_level", Env: "LOG_LEVEL", Problem: "must be debug, info, warn or error"}
	}
	if c.ReminderDelivery != "dm" && c.ReminderDelivery != "channel" {
		return &Error{Key: "reminder_delivery", Env: "REMINDER_DELIVERY", Problem: "must be dm or channel"}
	}
	if c.SchedulerTick < time.Second {
		return &Error{Key: "scheduler_tick", Env: "SCHEDULER_TICK", Problem: "must be at least 1s"}
	}
	if c.OutboxInFlight < 1 || c.OutboxInFlight > 8 {
		return &Error{Key: "outbox_in_flight", Env: "OUTBOX_IN_FLIGHT", Problem: "must be from 1 to 8"}
	}
	if c.OfferEditGap < 0 || c.OfferEditGap > time.Minute {
		return &Error{Key: "offer_edit_gap", Env: "OFFER_EDIT_GAP", Problem: "must be from 0s to 1m"}
	}
	if c.WaitlistOffer < guichet.MinWaitlistOffer || c.WaitlistOffer > 7*24*time.Hour {
		return &Error{Key: "waitlist_offer", Env: "WAITLIST_OFFER", Problem: "must be from 1h to 168h"}
	}
	for _, list := range []struct {
		key, env string
		entries  []string
	}{{"administrators", "ADMINISTRATORS", c.Administrators}, {"coordinators", "COORDINATORS", c.Coordinators}} {
		for _, e := range list.entries {
			if _, _, ok := guichet.AdministratorEntry(e); !ok {
				return &Error{Key: list.key, Env: list.env, Problem: fmt.Sprintf("%q is neither a username (e.g. @marie.dupont) nor a 26-character Mattermost user id", e)}
			}
		}
	}
	if c.OutboxLease < time.Second || c.OutboxLease > time.Hour {
		return &Error{Key: "outbox_lease", Env: "OUTBOX_LEASE", Problem: "must be from 1s to 1h"}
	}
	return nil
}

// AdministratorEntries returns the administrators' entries: those of administrators, then
// those of the deprecated coordinators.
func (c *Config) AdministratorEntries() []string {
	return append(append([]string(nil), c.Administrators...), c.Coordinators...)
}

// Deprecations returns a warning for each deprecated key in use, for the log.
func (c *Config) Deprecations() []string {
	var out []string
	if len(c.Coordinators) > 0 {
		out = append(out, "coordinators (GUICHET_COORDINATORS) is deprecated: its entries are administrators; rename it administrators (GUICHET_ADMINISTRATORS)")
	}
	return out
}

// ValidateServe checks, on top of Validate, what `guichet serve` needs to talk to Mattermost.
func (c *Config) ValidateServe() error {
	for _, u := range []struct{ key, env, val string }{
		{"mattermost_url", "MATTERMOST_URL", c.MattermostURL},
		{"public_url", "PUBLIC_URL", c.PublicURL},
	} {
		p, err := url.Parse(u.val)
		if u.val == "" || err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return &Error{Key: u.key, Env: u.env, Problem: "must be an http(s) URL, e.g. http://localhost:8065"}
		}
	}
	if c.BotToken == "" {
		return &Error{Key: "bot_token", Env: "BOT_TOKEN", Problem: "missing: the bot's access token (guichet setup prints it)"}
	}
	if len(c.CommandTokens) == 0 {
		return &Error{Key: "command_tokens", Env: "COMMAND_TOKENS", Problem: "missing: the /guichet command's token (guichet setup prints it)"}
	}
	if len(c.SigningKey) < 32 {
		return &Error{Key: "signing_key", Env: "SIGNING_KEY", Problem: "missing or shorter than 32 characters (e.g. openssl rand -hex 32)"}
	}
	if c.Listen == "" {
		return &Error{Key: "listen", Env: "LISTEN", Problem: "missing: host:port, e.g. 127.0.0.1:8080"}
	}
	if c.OpsListen == "" {
		return &Error{Key: "ops_listen", Env: "OPS_LISTEN", Problem: "missing: host:port for health and metrics, e.g. 127.0.0.1:9090"}
	}
	if c.OpsListen == c.Listen {
		return &Error{Key: "ops_listen", Env: "OPS_LISTEN", Problem: "must differ from listen: health and metrics are not served where Mattermost calls"}
	}
	if _, err := guichet.ParseReminders(c.UnconfirmedAlert); err != nil {
		return &Error{Key: "unconfirmed_alert", Env: "UNCONFIRMED_ALERT", Problem: "must be like J-1@18:00"}
	}
	return nil
}

// DatabaseDSN returns the database URL with the password put in, if one was given.
func (c *Config) DatabaseDSN() string {
	if c.DatabasePassword == "" {
		return c.DatabaseURL
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil || u.User == nil {
		return c.DatabaseURL
	}
	u.User = url.UserPassword(u.User.Username(), c.DatabasePassword)
	return u.String()
}

// validateIssuer checks the [issuer] section and fills the legal mentions left empty.
func (c *Config) validateIssuer() error {
	def := guichet.DefaultLegalMentions()
	for _, m := range []struct {
		v *string
		d string
	}{
		{&c.Legal.ExemptAssociation, def.ExemptAssociation}, {&c.Legal.Franchise, def.Franchise}, {&c.Legal.LatePayment, def.LatePayment},
	} {
		if strings.TrimSpace(*m.v) == "" {
			*m.v = m.d
		}
	}
	is := &c.Issuer
	if is.SIRET != "" {
		siret, err := guichet.CheckSIRET(is.SIRET)
		if err != nil {
			return &Error{Key: "issuer.siret", Env: "ISSUER_SIRET", Problem: "not a valid SIRET (14 digits whose check digit matches): " + is.SIRET}
		}
		is.SIRET = siret
	}
	if is.VATRegime != guichet.VATUnset {
		r, ok := guichet.ParseVATRegime(string(is.VATRegime))
		if !ok {
			return &Error{Key: "issuer.vat_regime", Env: "ISSUER_VAT_REGIME", Problem: `must be "liable", "association" or "franchise"`}
		}
		is.VATRegime = r
	}
	if is.VATRateBP < 0 || is.VATRateBP > 10000 || (is.VATRegime != guichet.VATLiable && is.VATRateBP != 0) {
		return &Error{Key: "issuer.vat_rate_bp", Env: "ISSUER_VAT_RATE_BP", Problem: "the VAT rate in basis points (2000 = 20 %), from 0 to 10000, only with vat_regime = \"liable\""}
	}
	if is.PaymentDays == 0 {
		is.PaymentDays = 30
	}
	if is.PaymentDays < 0 || is.PaymentDays > 365 {
		return &Error{Key: "issuer.payment_days", Env: "ISSUER_PAYMENT_DAYS", Problem: "the client's payment term, from 1 to 365 days"}
	}
	return nil
}

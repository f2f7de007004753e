package main

import "net"

// MailConfig is the mail section: where invitations go (issue 11 #4). With
// no smtp_addr they go to the outbox, which logs each recipient and subject
// (never the link). Env overrides: ROSTER_MAIL_SMTP_ADDR, ROSTER_MAIL_FROM,
// ROSTER_MAIL_USERNAME, ROSTER_MAIL_PASSWORD_FILE.
type MailConfig struct {
	SMTPAddr string `yaml:"smtp_addr"` // host:port of an SMTP server; empty: the outbox
	From     string `yaml:"from"`
	Username string `yaml:"username"` // empty: no SMTP authentication
	// PasswordFile holds the SMTP password (secrets never sit in the config).
	PasswordFile string `yaml:"password_file"`
}

func (c *MailConfig) validate() []string {
	var p []string
	if c.SMTPAddr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
		p = append(p, "mail.smtp_addr: must be host:port")
	}
	if c.From == "" {
		p = append(p, "mail.from: required with mail.smtp_addr")
	}
	if c.Username != "" && c.PasswordFile == "" {
		p = append(p, "mail.password_file: required with mail.username")
	}
	return p
}

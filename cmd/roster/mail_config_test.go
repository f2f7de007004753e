package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/mail"
)

// TestMailConfig: with no mail.smtp_addr invitations go to the outbox; with
// one, to SMTP (password from its file); incomplete settings are refused.
func TestMailConfig(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, ok := newMailSender(MailConfig{}, log).(*mail.Outbox); !ok {
		t.Error("default sender is not the outbox")
	}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	s, ok := newMailSender(MailConfig{SMTPAddr: "mail.test:587", From: "r@x.test", Username: "u", PasswordFile: pw}, log).(mail.SMTP)
	if !ok || s.Password != "s3cret" || s.Addr != "mail.test:587" {
		t.Errorf("smtp sender = %+v", s)
	}
	for _, c := range []struct {
		cfg  MailConfig
		want string
	}{
		{MailConfig{SMTPAddr: "nohost"}, "mail.smtp_addr"},
		{MailConfig{SMTPAddr: "h:25"}, "mail.from"},
		{MailConfig{SMTPAddr: "h:25", From: "r@x.test", Username: "u"}, "mail.password_file"},
	} {
		if p := strings.Join(c.cfg.validate(), "; "); !strings.Contains(p, c.want) {
			t.Errorf("validate(%+v) = %q, want %q", c.cfg, p, c.want)
		}
	}
	cfg, err := LoadConfig("", func(k string) string {
		return map[string]string{"ROSTER_MAIL_SMTP_ADDR": "smtp.test:25", "ROSTER_MAIL_FROM": "roster@x.test"}[k]
	})
	if err != nil || cfg.Mail.SMTPAddr != "smtp.test:25" {
		t.Errorf("env config = %+v, %v", cfg, err)
	}
}

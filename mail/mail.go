// Package mail sends Roster's email (issue 11 #4: invitations). Sender is
// the one interface; Outbox, the default, keeps messages in memory and logs
// that one was sent (recipient and subject, never the body, which holds
// single-use links); SMTP delivers through an SMTP server with net/smtp when
// one is configured. Standard library only.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"time"
)

// Message is one plain-text email.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Sender sends messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// check refuses header injection and empty recipients.
func (m Message) check() error {
	if strings.TrimSpace(m.To) == "" {
		return errors.New("mail: no recipient")
	}
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return errors.New("mail: recipient and subject must be one line")
	}
	return nil
}

// Outbox is the default sender: it keeps every message (Messages) and logs
// each send without its body.
type Outbox struct {
	Log *slog.Logger // nil: no log

	mu   sync.Mutex
	sent []Message
}

// Send implements Sender.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := m.check(); err != nil {
		return err
	}
	o.mu.Lock()
	o.sent = append(o.sent, m)
	o.mu.Unlock()
	if o.Log != nil {
		o.Log.InfoContext(ctx, "mail queued in the outbox (no SMTP server configured)", "to", m.To, "subject", m.Subject)
	}
	return nil
}

// Messages returns a copy of the messages sent so far.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message(nil), o.sent...)
}

// SMTP sends through an SMTP server (STARTTLS when the server offers it,
// which net/smtp does; PLAIN auth only over TLS or to localhost).
type SMTP struct {
	Addr     string // host:port
	From     string
	Username string // empty: no authentication
	Password string
	Timeout  time.Duration // default 10s
}

// Send implements Sender.
func (s SMTP) Send(ctx context.Context, m Message) error {
	if err := m.check(); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("mail: smtp address %q: %w", s.Addr, err)
	}
	var auth smtp.Auth
	if s.Username != "" {
		auth = smtp.PlainAuth("", s.Username, s.Password, host)
	}
	msg := "From: " + s.From + "\r\nTo: " + m.To + "\r\nSubject: " + m.Subject +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n") + "\r\n"
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(s.Addr, auth, s.From, []string{m.To}, []byte(msg)) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("mail: send to %s: %w", m.To, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("mail: send to %s: timed out after %s", m.To, timeout)
	}
}

package mail

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
)

func TestOutbox(t *testing.T) {
	o := &Outbox{}
	if err := o.Send(context.Background(), Message{To: "a@x.test", Subject: "hi", Body: "secret link"}); err != nil {
		t.Fatal(err)
	}
	if got := o.Messages(); len(got) != 1 || got[0].Body != "secret link" {
		t.Fatalf("outbox = %+v", got)
	}
	for _, bad := range []Message{{To: ""}, {To: "a@x.test\r\nBcc: evil@x.test"}, {To: "a@x.test", Subject: "x\nBcc: y"}} {
		if err := o.Send(context.Background(), bad); err == nil {
			t.Errorf("Send(%q) accepted", bad.To)
		}
	}
}

// fakeSMTP is a minimal SMTP server on 127.0.0.1 that records one message.
func fakeSMTP(t *testing.T) (addr string, got chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		say := func(s string) { c.Write([]byte(s + "\r\n")) }
		say("220 fake ESMTP")
		var rcpt, data strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 fake")
			case strings.HasPrefix(cmd, "MAIL FROM"):
				say("250 ok")
			case strings.HasPrefix(cmd, "RCPT TO"):
				rcpt.WriteString(strings.TrimSpace(line))
				say("250 ok")
			case cmd == "DATA":
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
					data.WriteString(l)
				}
				say("250 queued")
				got <- rcpt.String() + "\n" + data.String()
			case cmd == "QUIT":
				say("221 bye")
				return
			default:
				say("250 ok")
			}
		}
	}()
	return ln.Addr().String(), got
}

func TestSMTP(t *testing.T) {
	addr, got := fakeSMTP(t)
	s := SMTP{Addr: addr, From: "roster@roster.test"}
	if err := s.Send(context.Background(), Message{To: "ann@x.test", Subject: "Invitation", Body: "line one\nline two"}); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	for _, want := range []string{"RCPT TO:<ann@x.test>", "Subject: Invitation\r\n", "From: roster@roster.test\r\n", "line one\r\nline two\r\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if err := (SMTP{Addr: "127.0.0.1:1", From: "r@x.test"}).Send(context.Background(), Message{To: "a@x.test"}); err == nil {
		t.Error("send to a closed port succeeded")
	}
}

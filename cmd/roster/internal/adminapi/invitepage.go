package adminapi

import (
	"html/template"
	"net/http"

	"github.com/roster-dev/roster/db"
)

// invitePage is the small page behind an invitation link (R-MEM-3): a
// button to accept (a POST, so a mail scanner that follows the link uses
// nothing up), or, once expired, one to ask for a new invitation.
var invitePage = template.Must(template.New("invite").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Roster invitation</title></head><body><main>
{{if eq .Done "accepted"}}<h1>Invitation accepted</h1><p>Welcome, {{.Email}}. <a href="/console/">Sign in</a>.</p>
{{else if eq .Done "renewed"}}<h1>New invitation sent</h1><p>A new invitation is on its way to the invited address. It expires on {{.Expires}}.</p>
{{else if .Error}}<h1>Invitation</h1><p role="alert">{{.Error}}</p>
{{else if eq .State "expired"}}<h1>This invitation has expired</h1><p>It expired on {{.Expires}}.</p>
<form method="post" action="/invitations/renew"><input type="hidden" name="token" value="{{.Token}}"><button type="submit">Send me a new invitation</button></form>
{{else}}<h1>You are invited</h1><p>The invitation for {{.Email}} is valid until {{.Expires}}.</p>
<form method="post" action="/invitations/accept"><input type="hidden" name="token" value="{{.Token}}"><button type="submit">Accept the invitation</button></form>
{{end}}</main></body></html>
`))

// writeInvitePage renders the page for inv (or err, with its status);
// done names a finished step (accepted, renewed).
func writeInvitePage(w http.ResponseWriter, err error, inv db.Invitation, token, done string) {
	data := struct{ Email, State, Expires, Token, Done, Error string }{Email: inv.Email, State: string(inv.State),
		Expires: inv.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), Token: token, Done: done}
	status := http.StatusOK
	if err != nil {
		status, data.Done, data.Error = statusOf(err), "", clientMessage(err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	w.WriteHeader(status)
	invitePage.Execute(w, data)
}

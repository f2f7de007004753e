package console

// The SSO page's and break-glass notice's strings (issue 13 part B), merged into catalogue.
var ssoMessages = map[string]map[string]string{
	"en": {
		"breakglass.subject":        "Roster: the primary admin used break-glass sign-in",
		"breakglass.body":           "%s, the primary admin of your team, signed in to the Roster console without SSO (%s) at %s, although SSO is enforced. This break-glass sign-in is in the audit log. If you did not expect it, check with them and review the audit log.",
		"breakglass.via_password":   "with a password",
		"breakglass.via_login_link": "with a login link",
	},
	"nl": {
		"breakglass.subject":        "Roster: de primaire beheerder gebruikte de noodaanmelding",
		"breakglass.body":           "%s, de primaire beheerder van uw team, meldde zich zonder SSO aan bij de Roster-console (%s) op %s, hoewel SSO is afgedwongen. Deze noodaanmelding staat in het auditlogboek. Verwachtte u dit niet, neem dan contact op en bekijk het auditlogboek.",
		"breakglass.via_password":   "met een wachtwoord",
		"breakglass.via_login_link": "met een aanmeldlink",
	},
	"de": {
		"breakglass.subject":        "Roster: Der primäre Admin hat die Notfallanmeldung benutzt",
		"breakglass.body":           "%s, der primäre Admin Ihres Teams, hat sich ohne SSO an der Roster-Konsole angemeldet (%s) am %s, obwohl SSO erzwungen ist. Diese Notfallanmeldung steht im Audit-Log. Wenn Sie das nicht erwartet haben, fragen Sie nach und prüfen Sie das Audit-Log.",
		"breakglass.via_password":   "mit einem Passwort",
		"breakglass.via_login_link": "mit einem Anmeldelink",
	},
	"sv": {
		"breakglass.subject":        "Roster: den primära administratören använde nödinloggning",
		"breakglass.body":           "%s, ditt teams primära administratör, loggade in i Roster-konsolen utan SSO (%s) %s, fast SSO är påtvingat. Nödinloggningen finns i granskningsloggen. Om du inte väntade dig det, kontakta personen och granska loggen.",
		"breakglass.via_password":   "med lösenord",
		"breakglass.via_login_link": "med en inloggningslänk",
	},
	"fi": {
		"breakglass.subject":        "Roster: pääylläpitäjä käytti hätäkirjautumista",
		"breakglass.body":           "%s, tiimisi pääylläpitäjä, kirjautui Roster-konsoliin ilman SSO:ta (%s) %s, vaikka SSO on pakotettu. Hätäkirjautuminen on tarkastuslokissa. Jos et odottanut tätä, ota yhteyttä ja tarkista loki.",
		"breakglass.via_password":   "salasanalla",
		"breakglass.via_login_link": "kirjautumislinkillä",
	},
}

func init() { mergeMessages(ssoMessages) }

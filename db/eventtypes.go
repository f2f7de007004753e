package db

import "strings"

// eventVerbs turn an audit action's verb into the event's past tense.
var eventVerbs = map[string]string{"create": "created", "update": "updated", "delete": "deleted",
	"deactivate": "deactivated", "reactivate": "reactivated", "set": "changed", "revoke": "revoked", "add": "added",
	"retire": "retired", "members": "members_changed", "set_type": "type_changed", "revert_exception": "exception_reverted",
	"domains": "domains_changed", "conflict": "conflict", "disable": "disabled", "enable": "enabled",
	"replay": "replayed", "edit": "edited", "remove": "removed", "transfer": "transferred", "status": "status_changed",
	"external": "external_changed", "settings": "settings_changed", "send": "sent", "accept": "accepted",
	"run": "run_completed", "sign_in": "signed_in", "lockout": "locked_out", "break_glass": "break_glass_used",
	"verify": "verified", "refresh": "refreshed", "renew": "renewed", "internal_seat": "internal_seat_changed"}

// EventTypeOf names the event of an audit action: "user.create" becomes
// "user.created", "admin.set" becomes "role.changed", a refusal
// ("contract.create.refused") keeps its name.
func EventTypeOf(action string) string {
	if action == "admin.set" {
		return "role.changed"
	}
	i := strings.LastIndexByte(action, '.')
	if i < 0 {
		return action
	}
	if v, ok := eventVerbs[action[i+1:]]; ok {
		return action[:i+1] + v
	}
	return action
}

// EventTypes is every event type the store emits, as the README lists them
// (TestEventTypesDocumented compares the two; TestConformance checks every
// event the conformance suite makes on every backend is one of these, and
// TestWebhooksEndToEnd that every event a receiver gets is).
var EventTypes = []string{
	"account.created", "account.member.status_changed", "account.member.status.refused",
	"account.ownership.transferred", "account.ownership.transfer.refused", "account.role.changed", "account.role.set.refused",
	"console.break_glass_used", "console.locked_out", "console.login_link.created", "console.password.changed",
	"console.reset_link.created", "console.settings_changed", "console.signed_in",
	"contract.coordinator.changed", "contract.coordinator.set.refused", "contract.create.refused", "contract.created",
	"contract.manager.changed", "contract.manager.set.refused", "contract.user.add.refused", "contract.user.added",
	"contract.user.removed", "contract.user.remove.refused",
	"directory.conflict", "directory.created", "directory.deleted", "directory.run_completed",
	"group.created", "group.deleted", "group.members_changed", "group.updated",
	"invitation.accepted", "invitation.renewed", "invitation.sent",
	"member.added", "member.edited", "member.removed",
	"notice.invoice", "notice.release", "notice.renewal",
	"policy.changed", "policy.domains_changed",
	"product.added", "product.mapping.added", "product.mapping.removed", "product.removed", "product.updated", "project.access.changed", "project.created", "project.member.added", "project.member.level.changed", "project.member.removed",
	"role.changed",
	"sso.created", "sso.deleted", "sso.domain.verified", "sso.key.added", "sso.key.retired", "sso.metadata.refreshed", "sso.updated",
	"subscription.added", "subscription.external_changed", "subscription.internal_seat_changed",
	"team.created", "token.created", "token.revoked",
	"user.created", "user.deactivated", "user.deleted", "user.exception_reverted", "user.reactivated", "user.type_changed", "user.updated",
	"webhook.created", "webhook.deleted", "webhook.disabled", "webhook.enabled", "webhook.replayed",
}

// AccountScoped reports whether events of type ty are written under an
// account's id rather than a team's (the account audit log): account.*,
// contract.* and notice.*. Their webhook deliveries go to the endpoints of
// every team of the account.
func AccountScoped(ty string) bool {
	return strings.HasPrefix(ty, "account.") || strings.HasPrefix(ty, "contract.") || strings.HasPrefix(ty, "notice.")
}

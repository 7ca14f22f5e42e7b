"""The permission table: every endpoint of the app, who may call it.

One table for the whole app, enforced before every request (``enforce``). An endpoint
missing from the table is refused (fail closed) and the authorization test, which walks
every registered route × role × method, fails. Object-level rules (a manager sees only
their reports, an employee only their own data) live in the services and queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.models import Role


@dataclass(frozen=True)
class Access:
    #: None: anyone, signed in or not; otherwise the lowest role allowed
    min_role: Role | None
    #: reachable before the current social-media policy is accepted
    before_policy: bool = False

    @property
    def public(self) -> bool:
        return self.min_role is None


PUBLIC = Access(None, before_policy=True)
#: any signed-in person, before the policy is accepted (policy page, logout, own data)
SIGNED_IN_ANY = Access(Role.EMPLOYEE, before_policy=True)
EMPLOYEE = Access(Role.EMPLOYEE)
MANAGER = Access(Role.MANAGER)
CURATOR = Access(Role.CURATOR)
ADMIN = Access(Role.ADMIN)

ROUTES: dict[str, Access] = {
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    # authentication and enrolment
    "accounts.login": PUBLIC,
    "accounts.logout": SIGNED_IN_ANY,
    "accounts.forgot_password": PUBLIC,
    "accounts.reset_password": PUBLIC,
    "accounts.accept_invitation": PUBLIC,
    "accounts.enrol": PUBLIC,
    "accounts.set_language": PUBLIC,
    # policy
    "accounts.policy": SIGNED_IN_ANY,
    "accounts.accept_policy": SIGNED_IN_ANY,
    # the employee's own account
    "accounts.profile": EMPLOYEE,
    "accounts.change_password": SIGNED_IN_ANY,
    "accounts.social_accounts": EMPLOYEE,
    "accounts.delete_social_account": EMPLOYEE,
    "accounts.export_my_data": SIGNED_IN_ANY,
    # portal
    "portal.home": EMPLOYEE,
    "portal.team": MANAGER,
    # administration: people
    "accounts.admin_people": ADMIN,
    "accounts.admin_people_export": ADMIN,
    "accounts.admin_person": ADMIN,
    "accounts.admin_person_status": ADMIN,
    "accounts.admin_person_erase": ADMIN,
    "accounts.admin_invite": ADMIN,
    "accounts.admin_invitations": ADMIN,
    "accounts.admin_invitation_resend": ADMIN,
    "accounts.admin_invitation_revoke": ADMIN,
    "accounts.admin_import": ADMIN,
    "accounts.admin_import_preview": ADMIN,
    "accounts.admin_import_confirm": ADMIN,
    "accounts.admin_import_step": ADMIN,
    "accounts.admin_import_cancel": ADMIN,
    "accounts.admin_groups": ADMIN,
    "accounts.admin_group_delete": ADMIN,
    "accounts.admin_topics": ADMIN,
    "accounts.admin_topic_delete": ADMIN,
    "accounts.admin_domains": ADMIN,
    "accounts.admin_domain_delete": ADMIN,
    "accounts.admin_enrolments": ADMIN,
    "accounts.admin_enrolment_decide": ADMIN,
    "accounts.admin_policy": ADMIN,
    "audit.admin_log": ADMIN,
    # content: curator pages (app/content/curator_views.py)
    "content.curator_items": CURATOR,
    "content.curator_bulk": CURATOR,
    "content.curator_review": CURATOR,
    "content.curator_new": CURATOR,
    "content.curator_edit": CURATOR,
    "content.curator_preview": CURATOR,
    "content.curator_item": CURATOR,
    "content.curator_transition": CURATOR,
    #: uploaded content images: employees see them in their queue
    "content.uploaded_image": EMPLOYEE,
    # content: sources and inbox (app/content/source_views.py)
    "content.sources": CURATOR,
    "content.source_new": CURATOR,
    "content.source_edit": CURATOR,
    "content.source_check": CURATOR,
    "content.source_active": CURATOR,
    "content.source_delete": CURATOR,
    "content.inbox": CURATOR,
    "content.inbox_make_draft": CURATOR,
    "content.inbox_dismiss": CURATOR,
    "content.inbox_dismiss_all": CURATOR,
    # content: the employee's queue and suggestions (app/content/queue_views.py)
    "content.queue_more": EMPLOYEE,
    "content.queue_dismiss": EMPLOYEE,
    "content.queue_undismiss": EMPLOYEE,
    "content.suggest": EMPLOYEE,
    # sharing: share flow and my shares (app/sharing/views.py)
    "sharing.share": EMPLOYEE,
    "sharing.share_result": EMPLOYEE,
    "sharing.my_shares": EMPLOYEE,
    # sharing: the redirector /r/<code> (app/sharing/redirect.py)
    "sharing.redirect": PUBLIC,
    # sharing: conversions webhook and engagement import (app/sharing/conversions.py …)
    #: authenticated by its HMAC signature, not by a session (and exempt from CSRF)
    "sharing.conversions_webhook": PUBLIC,
    "sharing.engagement_import": CURATOR,
    "sharing.engagement_import_confirm": CURATOR,
    # sharing: connectors (app/sharing/connectors/)
    "sharing.connect": EMPLOYEE,
    "sharing.connect_callback": EMPLOYEE,
    "sharing.disconnect": EMPLOYEE,
    "sharing.share_api": EMPLOYEE,
}


def access_for(endpoint: str | None) -> Access | None:
    if endpoint is None:
        return None
    return ROUTES.get(endpoint)

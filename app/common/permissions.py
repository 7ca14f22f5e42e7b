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
    #: the JSON API (app/api/auth.py): authenticated by a personal access token
    #: (Authorization: Bearer) and never by the session cookie, so exempt from CSRF;
    #: answers 401 (not a redirect to the sign-in page) without a token
    token: bool = False

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
#: the JSON API: before_policy because nothing is shared through it (and an integration
#: must not stop when a new policy version is published)
API_PUBLIC = Access(None, before_policy=True, token=True)
API_EMPLOYEE = Access(Role.EMPLOYEE, before_policy=True, token=True)
API_CURATOR = Access(Role.CURATOR, before_policy=True, token=True)
API_ADMIN = Access(Role.ADMIN, before_policy=True, token=True)

ROUTES: dict[str, Access] = {
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    #: off until METRICS_TOKEN is set; then a Bearer token (checked in the view)
    "health.metrics": PUBLIC,
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
    #: sign out one's own sessions (app/accounts/profile_views.py): security, so before the
    #: policy too; someone else's session is a 404 in the view
    "accounts.revoke_session": SIGNED_IN_ANY,
    "accounts.revoke_other_sessions": SIGNED_IN_ANY,
    # portal
    "portal.home": EMPLOYEE,
    "portal.team": MANAGER,
    # administration: people
    "accounts.admin_people": ADMIN,
    "accounts.admin_people_export": ADMIN,
    "accounts.admin_person": ADMIN,
    "accounts.admin_person_status": ADMIN,
    "accounts.admin_person_erase": ADMIN,
    "accounts.admin_person_end_sessions": ADMIN,
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
    # notifications: the bell (app/notifications/views.py)
    "notifications.notices": EMPLOYEE,
    #: loaded by every page, also before the policy is accepted (else htmx would paste the
    #: policy redirect into the navbar)
    "notifications.bell": SIGNED_IN_ANY,
    "notifications.open_notice": EMPLOYEE,
    "notifications.read_all": EMPLOYEE,
    # notifications: e-mail preferences and unsubscribe
    "notifications.preferences": EMPLOYEE,
    #: authenticated by its signed token (no session needed); GET changes nothing; the
    #: RFC 8058 one-click POST is exempt from CSRF (app/notifications/settings_views.py)
    "notifications.unsubscribe": PUBLIC,
    # notifications: webhooks and outbox (app/notifications/)
    "notifications.admin_webhooks": ADMIN,
    "notifications.admin_webhook_new": ADMIN,
    "notifications.admin_webhook": ADMIN,
    "notifications.admin_webhook_active": ADMIN,
    "notifications.admin_webhook_test": ADMIN,
    "notifications.admin_webhook_rotate": ADMIN,
    "notifications.admin_webhook_delete": ADMIN,
    # gamification: points, badges, levels (app/gamification/ points, badges, admin views)
    "gamification.my_points": EMPLOYEE,
    "gamification.my_points_opt_out": EMPLOYEE,
    "gamification.my_points_card": EMPLOYEE,
    "gamification.admin_rules": ADMIN,
    "gamification.admin_settings": ADMIN,
    "gamification.admin_levels": ADMIN,
    "gamification.admin_badges": ADMIN,
    "gamification.admin_badge_new": ADMIN,
    "gamification.admin_badge_edit": ADMIN,
    "gamification.admin_badge_active": ADMIN,
    "gamification.admin_badge_delete": ADMIN,
    "gamification.admin_badge_defaults": ADMIN,
    "gamification.admin_person_points": ADMIN,
    # gamification: leaderboards and challenges (app/gamification/ board and challenge views)
    "gamification.leaderboards": EMPLOYEE,
    "gamification.team_activity": MANAGER,  # object rule: only the manager's reports
    "gamification.challenges": EMPLOYEE,
    "gamification.challenge": EMPLOYEE,  # object rule: only challenges of one's audience
    "gamification.curator_challenges": CURATOR,
    "gamification.curator_challenge": CURATOR,
    "gamification.challenge_new": CURATOR,
    "gamification.challenge_edit": CURATOR,
    "gamification.challenge_delete": CURATOR,
    # training (app/training/)
    # training: the learner's pages (app/training/views.py); object checks in the views
    "training.index": EMPLOYEE,
    "training.course": EMPLOYEE,
    "training.lesson": EMPLOYEE,
    "training.mark_read": EMPLOYEE,
    "training.quiz": EMPLOYEE,
    "training.start_quiz": EMPLOYEE,
    "training.attempt": EMPLOYEE,
    "training.attempt_result": EMPLOYEE,
    "training.certificates": EMPLOYEE,
    "training.certificate": EMPLOYEE,
    "training.gate_notice": EMPLOYEE,
    #: anyone holding a certificate's random code can check it (name, course, date only)
    "training.verify": PUBLIC,
    "training.verify_code": PUBLIC,
    # training: authoring (app/training/manage_views.py)
    "training.manage_courses": CURATOR,
    "training.manage_new": CURATOR,
    "training.manage_edit": CURATOR,
    "training.manage_course": CURATOR,
    "training.manage_action": CURATOR,
    "training.lesson_new": CURATOR,
    "training.lesson_edit": CURATOR,
    "training.lesson_move": CURATOR,
    "training.lesson_delete": CURATOR,
    "training.lesson_preview": CURATOR,
    "training.question_new": CURATOR,
    "training.question_edit": CURATOR,
    "training.question_move": CURATOR,
    "training.question_delete": CURATOR,
    "training.question_preview": CURATOR,
    # training: reports (managers: their team only, in the views) and requirements
    "training.reports_index": MANAGER,
    "training.report": MANAGER,
    "training.report_export": MANAGER,
    "training.overdue": MANAGER,
    "training.overdue_export": MANAGER,
    "training.grant_attempt": CURATOR,
    "training.requirements": ADMIN,
    "training.set_requirement": ADMIN,
    # api (app/api/)
    #: the token pages (session cookie + CSRF, like every page) and the reference
    "api.tokens_page": EMPLOYEE,
    "api.token_revoke": EMPLOYEE,
    "api.admin_tokens": ADMIN,
    "api.admin_token_revoke": ADMIN,
    "api.reference": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    #: the JSON API (Bearer token only); scopes are checked on top (app/api/auth.py)
    "api_meta.not_found": API_PUBLIC,
    "api_users.me": API_EMPLOYEE,
    "api_users.list_users": API_ADMIN,
    "api_users.get_user": API_ADMIN,
    "api_users.create_user": API_ADMIN,
    "api_users.update_user": API_ADMIN,
    "api_users.deactivate_user": API_ADMIN,
    "api_users.reactivate_user": API_ADMIN,
    "api_provisioning.get_provisioned": API_ADMIN,
    "api_provisioning.provision": API_ADMIN,
    "api_provisioning.deprovision": API_ADMIN,
    "api_groups.list_groups": API_CURATOR,
    "api_groups.get_group": API_CURATOR,
    "api_groups.create_group": API_ADMIN,
    "api_groups.delete_group": API_ADMIN,
    "api_content.list_content": API_CURATOR,
    "api_content.get_content": API_CURATOR,
    "api_content.create_content": API_CURATOR,
    "api_content.update_content": API_CURATOR,
    "api_content.transition_content": API_CURATOR,
    #: shares, clicks, conversions: everyone their own, managers their reports', admins all
    "api_shares.list_shares": API_EMPLOYEE,
    "api_shares.get_share": API_EMPLOYEE,
    "api_clicks.clicks_summary": API_EMPLOYEE,
    "api_conversions.list_conversions": API_EMPLOYEE,
    #: leaderboards, points, badges, courses, analytics (app/api/): object rules in the
    #: views, as on the pages (own data; a manager's reports; everyone for admins)
    "api_leaderboards.get_leaderboard": API_EMPLOYEE,
    "api_points.list_points": API_EMPLOYEE,
    "api_points.adjust_points": API_ADMIN,
    "api_badges.list_badges": API_EMPLOYEE,
    "api_badges.list_user_badges": API_EMPLOYEE,
    "api_courses.list_courses": API_EMPLOYEE,
    "api_courses.get_course": API_EMPLOYEE,
    #: the training reports' access (managers: their team)
    "api_courses.course_progress": Access(Role.MANAGER, before_policy=True, token=True),
    "api_courses.list_user_courses": API_EMPLOYEE,
    "api_analytics.analytics_breakdown": API_EMPLOYEE,
    "api_analytics.user_stats": API_EMPLOYEE,
    # analytics (app/analytics/)
    "analytics.admin_values": ADMIN,
    "analytics.admin_values_reset": ADMIN,
    #: the dashboards (app/analytics/dashboard_views.py): the company's for curators
    #: (communications) and admins; a manager's team (direct and indirect reports) only
    "analytics.dashboard": CURATOR,
    "analytics.export": CURATOR,
    "analytics.team_dashboard": MANAGER,
    "analytics.team_export": MANAGER,
    #: "My impact" (app/analytics/impact_views.py): always the signed-in person's own data
    "analytics.my_impact": EMPLOYEE,
    "analytics.my_impact_export": EMPLOYEE,
    # single sign-on (app/accounts/sso*)
    "accounts.sso_login": PUBLIC,
    #: checks its own single-use state; signs the person in
    "accounts.sso_callback": PUBLIC,
    "accounts.admin_sso": ADMIN,
    "accounts.admin_sso_test": ADMIN,
    "accounts.admin_sso_mapping_add": ADMIN,
    "accounts.admin_sso_mapping_delete": ADMIN,
}


def access_for(endpoint: str | None) -> Access | None:
    if endpoint is None:
        return None
    return ROUTES.get(endpoint)

"""Account rules: authentication, invitations, people administration, profile.

Services flush and never commit; the request boundary or the CLI commits (DESIGN.md).
Emails are composed here and sent after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.accounts import emails, sessions
from app.accounts.models import (
    AccountToken,
    AllowedDomain,
    EnrolmentRequest,
    EnrolmentStatus,
    Group,
    GroupKind,
    LoginThrottle,
    Network,
    Role,
    SocialAccount,
    TokenPurpose,
    Topic,
    User,
    UserStatus,
)
from app.accounts.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.accounts.settings import AccountSettings
from app.accounts.tokens import consume, find_usable_token, issue_token, revoke_open_tokens
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.common.mail import Mailer
from app.db import utcnow
from app.notifications.outbox import send_soon

# --- lookups ------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    """A syntactically valid address, lower-cased (no DNS look-up: we may be offline)."""
    try:
        result = validate_email(normalise_email(email), check_deliverability=False)
    except EmailNotValidError:
        raise ServiceError(_("Enter a valid email address."), field="email") from None
    return result.normalized.lower()


def user_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == normalise_email(email)))


# --- authentication ---------------------------------------------------------------


def authenticate(db: Session, settings: AccountSettings, email: str, password: str,
                 actor: Actor) -> User | None:
    """The user if the credentials are right and the account may sign in, else None.

    Every failure looks the same to the caller (generic message); the reason goes to the
    audit log. Consecutive failures lock the account for a while (stored in the database,
    so the lock holds across workers, unlike in-memory rate limits).
    """
    now = utcnow()
    user = user_by_email(db, email)
    if user is None:
        verify_password(None, password, **settings.hash_params)  # same time as a real check
        record(db, actor, "auth.login_failed", reason="unknown_email")
        return None
    throttle = db.get(LoginThrottle, (user.id, actor.ip or ""))
    if lock_active(throttle, now):
        verify_password(None, password, **settings.hash_params)
        record(db, actor, "auth.login_failed", target=user, reason="locked")
        return None
    if not verify_password(user.password_hash, password, **settings.hash_params):
        user.failed_logins += 1
        if throttle is None:
            throttle = LoginThrottle(user_id=user.id, address=actor.ip or "", failures=0)
            db.add(throttle)
        throttle.failures += 1
        throttle.updated_at = now
        reason = "bad_password"
        if throttle.failures >= settings.max_failures:
            throttle.locked_until = now + settings.lock_duration
            throttle.failures = 0
            reason = "bad_password_locked"
        record(db, actor, "auth.login_failed", target=user, reason=reason)
        db.flush()
        return None
    if user.status != UserStatus.ACTIVE:
        record(db, actor, "auth.login_failed", target=user, reason=f"status_{user.status.value}")
        return None
    user.failed_logins = 0
    if throttle is not None:
        db.delete(throttle)  # this address's count starts again; other addresses' stay
    user.last_login_at = now
    if needs_rehash(user.password_hash, **settings.hash_params):
        # the argon2 cost was raised since this hash was made (ASVS 11.4.1)
        user.password_hash = hash_password(password, **settings.hash_params)
    record(db, actor, "auth.login", target=user)
    db.flush()
    return user


def record_logout(db: Session, user: User, actor: Actor) -> None:
    record(db, actor, "auth.logout", target=user)


def set_password(db: Session, settings: AccountSettings, user: User, password: str) -> None:
    check_password_rules(password, email=user.email, name=user.name,
                         min_length=settings.password_min_length)
    user.password_hash = hash_password(password, **settings.hash_params)
    user.session_version += 1  # every other session and remember cookie ends
    sessions.revoke_all(db, user.id)  # (and shows as ended; the caller may sign in anew)
    clear_login_locks(db, user)
    db.flush()


def change_password(db: Session, settings: AccountSettings, user: User, current: str,
                    new: str, actor: Actor) -> None:
    if not verify_password(user.password_hash, current, **settings.hash_params):
        raise ServiceError(_("Your current password is not right."), field="current_password")
    set_password(db, settings, user, new)
    record(db, actor, "auth.password_changed", target=user)


def request_password_reset(db: Session, settings: AccountSettings, mailer: Mailer, email: str,
                           actor: Actor) -> None:
    """Send a reset link if an active account has this address; say nothing either way."""
    user = user_by_email(db, email)
    if user is None or user.status != UserStatus.ACTIVE:
        record(db, actor, "auth.reset_requested", email_known=False)
        return
    token = issue_token(db, user, TokenPurpose.RESET, settings.reset_ttl)
    record(db, actor, "auth.reset_requested", target=user, email_known=True)
    send_soon(db, [emails.password_reset(mailer, user, token, settings.reset_ttl)],
              mailer=mailer)


def reset_password(db: Session, settings: AccountSettings, token: str, password: str,
                   actor: Actor) -> User:
    row = find_usable_token(db, token, TokenPurpose.RESET)
    if row is None or row.user.status != UserStatus.ACTIVE:
        raise ServiceError(_("This link is no longer valid. Ask for a new one."))
    set_password(db, settings, row.user, password)
    consume(db, row)
    record(db, actor, "auth.password_reset", target=row.user)
    return row.user


def usable_token_user(db: Session, token: str, purpose: TokenPurpose) -> User | None:
    row = find_usable_token(db, token, purpose)
    return row.user if row else None


# --- invitations --------------------------------------------------------------------


def _check_manager(db: Session, user: User | None, manager_id: int | None) -> User | None:
    if manager_id is None:
        return None
    manager = db.get(User, manager_id)
    if manager is None:
        raise ServiceError(_("That manager does not exist."), field="manager_id")
    if user is not None:
        # walk up from the new manager: the person must not end up managing themself
        seen, node = set(), manager
        while node is not None and node.id not in seen:
            if node.id == user.id:
                raise ServiceError(_("A person cannot report to themself or to their own "
                                     "reports."), field="manager_id")
            seen.add(node.id)
            node = node.manager
    return manager


def _groups(db: Session, group_ids: Iterable[int]) -> list[Group]:
    ids = set(group_ids or [])
    if not ids:
        return []
    groups = list(db.scalars(select(Group).where(Group.id.in_(ids))))
    if len(groups) != len(ids):
        raise ServiceError(_("Unknown group."), field="group_ids")
    return groups


def invite(db: Session, settings: AccountSettings, mailer: Mailer, actor: Actor, *, email: str,
           name: str, role: Role = Role.EMPLOYEE, language: str = "en",
           manager_id: int | None = None, group_ids: Iterable[int] = (),
           send: bool = True) -> User:
    """Create an invited person (the admin's invitation form, the API, provisioning).

    With ``send`` (the default) an invitation token is issued and its email goes out after
    the commit; inviting someone still invited sends them a new one. Without it the person
    waits, invited, until an admin sends the invitation from the Invitations page (or they
    sign in through single sign-on): an HR system can create joiners before their first
    day. An email that already has an account is refused either way."""
    email = check_email(email)
    name = (name or "").strip() or email.split("@")[0]
    existing = user_by_email(db, email)
    if existing is not None:
        if send and existing.status == UserStatus.INVITED:
            resend_invitation(db, settings, mailer, actor, existing)
            return existing
        raise ServiceError(_("%(email)s already has an account.", email=email), field="email")
    manager = _check_manager(db, None, manager_id)
    groups = _groups(db, group_ids)
    user = User(email=email, name=name[:200], role=role, status=UserStatus.INVITED,
                language=language if language in ("en", "fr") else "en", manager=manager,
                groups=groups)
    db.add(user)
    db.flush()
    if not send:
        record(db, actor, "user.created", target=user, email=email, role=role.value,
               invitation_sent=False)
        return user
    token = issue_token(db, user, TokenPurpose.INVITE, settings.invitation_ttl, actor.user_id)
    record(db, actor, "user.invited", target=user, email=email, role=role.value)
    send_soon(db, [emails.invitation(mailer, user, token, settings.invitation_ttl)],
              mailer=mailer)
    return user


def parse_invite_lines(text: str) -> list[tuple[str, str]]:
    """'email' or 'email, name' per line (also ';' or tab separated)."""
    people = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        for sep in (",", ";", "\t"):
            if sep in line:
                email, name = line.split(sep, 1)
                break
        else:
            email, name = line, ""
        people.append((email.strip(), name.strip()))
    return people


def invite_many(db: Session, settings: AccountSettings, mailer: Mailer, actor: Actor, text: str,
                *, role: Role = Role.EMPLOYEE, language: str = "en",
                group_ids: Iterable[int] = ()) -> tuple[list[User], list[tuple[str, str]]]:
    """Invite each line; returns (invited, [(line email, reason)])."""
    invited, problems = [], []
    people = parse_invite_lines(text)
    if not people:
        raise ServiceError(_("Enter at least one email address."), field="emails")
    if len(people) > 500:
        raise ServiceError(_("Invite at most 500 people at once; use the CSV import for more."),
                           field="emails")
    for email, name in people:
        try:
            with db.begin_nested():
                invited.append(invite(db, settings, mailer, actor, email=email, name=name,
                                      role=role, language=language, group_ids=group_ids))
        except ServiceError as exc:
            problems.append((email, exc.message))
    return invited, problems


def resend_invitation(db: Session, settings: AccountSettings, mailer: Mailer, actor: Actor,
                      user: User) -> None:
    if user.status != UserStatus.INVITED:
        raise ServiceError(_("%(email)s has already joined.", email=user.email))
    token = issue_token(db, user, TokenPurpose.INVITE, settings.invitation_ttl, actor.user_id)
    record(db, actor, "user.invitation_resent", target=user)
    send_soon(db, [emails.invitation(mailer, user, token, settings.invitation_ttl)],
              mailer=mailer)


def revoke_invitation(db: Session, actor: Actor, user: User) -> None:
    if user.status != UserStatus.INVITED:
        raise ServiceError(_("%(email)s has already joined.", email=user.email))
    revoke_open_tokens(db, user.id, TokenPurpose.INVITE)
    record(db, actor, "user.invitation_revoked", target=user)


def accept_invitation(db: Session, settings: AccountSettings, token: str, password: str,
                      actor: Actor, *, name: str | None = None) -> User:
    row = find_usable_token(db, token, TokenPurpose.INVITE)
    if row is None or row.user.status != UserStatus.INVITED:
        raise ServiceError(_("This invitation is no longer valid. Ask your administrator "
                             "for a new one."))
    user = row.user
    set_password(db, settings, user, password)
    if name and name.strip():
        user.name = name.strip()[:200]
    user.status = UserStatus.ACTIVE
    consume(db, row)
    record(db, actor, "user.invitation_accepted", target=user)
    return user


def open_invitations(db: Session, user_ids: Iterable[int]) -> dict[int, AccountToken]:
    """The latest invitation token of each of these people (the invitations page shows one
    page of people: only their tokens are loaded, not every invitation ever sent)."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = db.scalars(select(AccountToken).where(AccountToken.purpose == TokenPurpose.INVITE,
                                                 AccountToken.user_id.in_(ids))
                      .order_by(AccountToken.created_at, AccountToken.id))
    return {row.user_id: row for row in rows}


# --- people administration ----------------------------------------------------------


def set_active(db: Session, actor: Actor, user: User, active: bool) -> None:
    if user.id == actor.user_id:
        raise ServiceError(_("You cannot deactivate your own account."))
    if user.erased_at is not None:
        raise ServiceError(_("This person's data was erased."))
    if active:
        user.status = UserStatus.ACTIVE if user.password_hash else UserStatus.INVITED
        record(db, actor, "user.reactivated", target=user)
    else:
        user.status = UserStatus.DEACTIVATED
        user.session_version += 1  # ends their sessions at once
        sessions.revoke_all(db, user.id)
        revoke_open_tokens(db, user.id)
        record(db, actor, "user.deactivated", target=user)
    db.flush()


def update_person(db: Session, actor: Actor, user: User, *, name: str, role: Role,
                  manager_id: int | None, group_ids: Iterable[int]) -> None:
    if user.id == actor.user_id and role != Role.ADMIN:
        raise ServiceError(_("You cannot remove your own admin role."), field="role")
    changes = {}
    if user.role != role:
        changes["role"] = [user.role.value, role.value]
    if (user.manager_id or None) != (manager_id or None):
        changes["manager_id"] = [user.manager_id, manager_id]
    user.manager = _check_manager(db, user, manager_id)
    new_groups = _groups(db, group_ids)
    if {g.id for g in user.groups} != {g.id for g in new_groups}:
        changes["groups"] = sorted(g.id for g in new_groups)
    user.name = (name or user.name).strip()[:200]
    user.role = role
    user.groups = new_groups
    db.flush()
    record(db, actor, "user.updated", target=user, **changes)


def erase_person(db: Session, actor: Actor, user: User) -> None:
    """Anonymise personal data; keep the row (and so aggregate numbers) and group links."""
    if user.id == actor.user_id:
        raise ServiceError(_("You cannot erase your own account."))
    if user.erased_at is not None:
        raise ServiceError(_("This person's data was already erased."))
    user.email = f"erased-{user.id}@erased.invalid"
    user.name = _("Erased person #%(id)d", id=user.id)
    user.password_hash = None
    user.status = UserStatus.DEACTIVATED
    user.session_version += 1
    user.timezone = "UTC"
    user.erased_at = utcnow()
    user.topics = []
    user.social_accounts = []
    db.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    clear_login_locks(db, user)  # the addresses that tried to sign in are personal data
    from app.accounts.export import erase_feature_data

    erase_feature_data(db, user)  # connected accounts, SSO identities, API tokens…
    for reports_to_me in list(user.reports):
        reports_to_me.manager = None
    db.flush()
    record(db, actor, "user.erased", target=user)


# --- profile ------------------------------------------------------------------------


def update_profile(db: Session, user: User, *, name: str, language: str, timezone: str,
                   topic_ids: Iterable[int]) -> None:
    from zoneinfo import available_timezones

    if language not in ("en", "fr"):
        raise ServiceError(_("Unknown language."), field="language")
    if timezone not in available_timezones():
        raise ServiceError(_("Unknown time zone."), field="timezone")
    ids = set(topic_ids or [])
    topics = list(db.scalars(select(Topic).where(Topic.id.in_(ids)))) if ids else []
    if len(topics) != len(ids):
        raise ServiceError(_("Unknown topic."), field="topic_ids")
    user.name = (name or user.name).strip()[:200]
    user.language = language
    user.timezone = timezone
    user.topics = topics
    db.flush()


def set_language(db: Session, user: User, language: str) -> None:
    if language in ("en", "fr"):
        user.language = language
        db.flush()


def save_social_account(db: Session, user: User, *, network: Network, handle: str,
                        profile_url: str, followers: int) -> SocialAccount:
    handle = (handle or "").strip()
    if not handle:
        raise ServiceError(_("Enter your handle or profile name."), field="handle")
    profile_url = (profile_url or "").strip()
    if profile_url and not profile_url.startswith(("https://", "http://")):
        raise ServiceError(_("The profile link must start with https://"), field="profile_url")
    if followers < 0 or followers > 1_000_000_000:
        raise ServiceError(_("Enter a follower count between 0 and 1,000,000,000."),
                           field="followers")
    account = db.scalar(select(SocialAccount).where(SocialAccount.user_id == user.id,
                                                    SocialAccount.network == network))
    if account is None:
        account = SocialAccount(user_id=user.id, network=network)
        db.add(account)
    account.handle = handle[:200]
    account.profile_url = profile_url[:500]
    account.followers = followers
    account.updated_at = utcnow()
    db.flush()
    return account


def delete_social_account(db: Session, user: User, account_id: int) -> None:
    account = db.get(SocialAccount, account_id)
    if account is None or account.user_id != user.id:  # only your own
        raise ServiceError(_("That account does not exist."))
    db.delete(account)
    db.flush()


# --- groups, topics, domains ---------------------------------------------------------


def create_group(db: Session, actor: Actor, kind: GroupKind, name: str) -> Group:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Enter a name."), field="name")
    if db.scalar(select(Group).where(Group.kind == kind,
                                     func.lower(Group.name) == name.lower())):
        raise ServiceError(_("This group already exists."), field="name")
    group = Group(kind=kind, name=name[:120])
    db.add(group)
    db.flush()
    record(db, actor, "group.created", target=group, kind=kind.value, name=group.name)
    return group


def delete_group(db: Session, actor: Actor, group: Group) -> None:
    record(db, actor, "group.deleted", target=group, kind=group.kind.value, name=group.name)
    db.delete(group)
    db.flush()


def create_topic(db: Session, actor: Actor, name: str) -> Topic:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Enter a name."), field="name")
    if db.scalar(select(Topic).where(func.lower(Topic.name) == name.lower())):
        raise ServiceError(_("This topic already exists."), field="name")
    topic = Topic(name=name[:80])
    db.add(topic)
    db.flush()
    record(db, actor, "topic.created", target=topic, name=topic.name)
    return topic


def delete_topic(db: Session, actor: Actor, topic: Topic) -> None:
    record(db, actor, "topic.deleted", target=topic, name=topic.name)
    db.delete(topic)
    db.flush()


def _check_domain(domain: str) -> str:
    domain = (domain or "").strip().lower().lstrip("@")
    try:
        validate_email(f"someone@{domain}", check_deliverability=False)
    except EmailNotValidError:
        raise ServiceError(_("Enter a domain such as example.com."), field="domain") from None
    return domain


def add_domain(db: Session, actor: Actor, domain: str) -> AllowedDomain:
    domain = _check_domain(domain)
    if db.scalar(select(AllowedDomain).where(AllowedDomain.domain == domain)):
        raise ServiceError(_("This domain is already on the list."), field="domain")
    row = AllowedDomain(domain=domain)
    db.add(row)
    db.flush()
    record(db, actor, "domain.added", target=row, domain=domain)
    return row


def remove_domain(db: Session, actor: Actor, row: AllowedDomain) -> None:
    record(db, actor, "domain.removed", target=row, domain=row.domain)
    db.delete(row)
    db.flush()


# --- self-enrolment -------------------------------------------------------------------


def request_enrolment(db: Session, actor: Actor, *, email: str, name: str,
                      message: str = "") -> None:
    """Record a request to join if the email's domain is allowed.

    Refuses a domain that is not on the list (that list is not a secret), but says
    nothing about whether the address already has an account or a pending request.
    """
    email = check_email(email)
    domain = email.rsplit("@", 1)[1]
    if db.scalar(select(AllowedDomain).where(AllowedDomain.domain == domain)) is None:
        raise ServiceError(_("Self-enrolment is not open for %(domain)s addresses. Ask your "
                             "administrator for an invitation.", domain=domain), field="email")
    if user_by_email(db, email) is not None:
        record(db, actor, "enrolment.duplicate", email=email)
        return
    pending = db.scalar(select(EnrolmentRequest).where(
        EnrolmentRequest.email == email, EnrolmentRequest.status == EnrolmentStatus.PENDING))
    if pending is not None:
        return
    req = EnrolmentRequest(email=email, name=(name or "").strip()[:200] or email.split("@")[0],
                           message=(message or "").strip()[:1000])
    db.add(req)
    db.flush()
    record(db, actor, "enrolment.requested", target=req, email=email)


def decide_enrolment(db: Session, settings: AccountSettings, mailer: Mailer, actor: Actor,
                     req: EnrolmentRequest, approve: bool) -> User | None:
    if req.status != EnrolmentStatus.PENDING:
        raise ServiceError(_("This request was already decided."))
    if not approve:
        req.decided_at = utcnow()
        req.decided_by_id = actor.user_id
        req.status = EnrolmentStatus.REJECTED
        record(db, actor, "enrolment.rejected", target=req, email=req.email)
        send_soon(db, [emails.enrolment_rejected(mailer, req)], mailer=mailer)
        db.flush()
        return None
    # invite first: if it is refused (the address got an account meanwhile), the request
    # stays pending and nothing is recorded (the view commits the 303 that shows the error)
    user = invite(db, settings, mailer, actor, email=req.email, name=req.name)
    req.decided_at = utcnow()
    req.decided_by_id = actor.user_id
    req.status = EnrolmentStatus.APPROVED
    record(db, actor, "enrolment.approved", target=req, email=req.email)
    db.flush()
    return user


def lock_active(throttle: LoginThrottle | None, now: datetime | None = None) -> bool:
    """Whether sign-ins from this throttle's address to its account are locked now."""
    return bool(throttle is not None and throttle.locked_until
                and throttle.locked_until > (now or utcnow()))


def clear_login_locks(db: Session, user: User) -> None:
    """The person proved who they are (a new password, single sign-on): every address may
    try again."""
    user.failed_logins = 0
    db.execute(delete(LoginThrottle).where(LoginThrottle.user_id == user.id))

"""Login, sliding sessions (30 minutes without activity, 12 hours at most), logout and revocation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from afas_identity.adapters.metrics import LOGIN_FAILURES, count_lockout
from afas_identity.adapters.tables import LoginSession, LoginThrottleRow, UserAccount
from afas_identity.application import hashing, memberships
from afas_identity.application.errors import locked, unauthorized
from afas_identity.application.signing_keys import key_ring
from afas_identity.domain import throttling
from afas_shared.auth.tokens import SessionClaims, issue_token
from afas_shared.clock import paris_today
from afas_shared.contracts.events.identity import SessionRevokedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

WRONG_CREDENTIALS = "Identifiant ou mot de passe incorrect."
EXPIRED = "Session expirée, veuillez vous reconnecter."


def _state(row: LoginThrottleRow | None) -> throttling.ThrottleState:
    if row is None:
        return throttling.ThrottleState()
    return throttling.ThrottleState(
        failures=row.failures, last_failure_at=row.last_failure_at, locked_until=row.locked_until
    )


async def _throttles(session, keys: list[str]) -> dict[str, LoginThrottleRow]:
    rows = (await session.execute(sa.select(LoginThrottleRow).where(LoginThrottleRow.key.in_(keys)))).scalars()
    return {r.key: r for r in rows}


def _throttle_keys(runtime: ServiceRuntime, identifier: str, address: str | None) -> dict[str, throttling.Policy]:
    """The throttling states a login attempt counts in, with the policy of each (see ``domain.throttling``)."""
    ident = identifier.strip()[:50]
    keys = {f"id:{ident}": throttling.ACCOUNT}
    if address:
        keys[f"pair:{ident}|{address[:45]}"] = throttling.ACCOUNT
        keys[f"ip:{address[:45]}"] = throttling.address_policy(runtime.settings.login_address_max_failures)
    return keys


async def _record_failure(runtime: ServiceRuntime, keys: dict[str, throttling.Policy], now: datetime) -> None:
    LOGIN_FAILURES.labels("wrong_credentials").inc()
    async with runtime.db.transaction() as session:
        rows = await _throttles(session, list(keys))
        for key, policy in keys.items():
            state = throttling.after_failure(_state(rows.get(key)), now, policy)
            row = rows.get(key) or LoginThrottleRow(key=key)
            count_lockout(key, row.locked_until, state.locked_until, now)
            row.failures, row.last_failure_at, row.locked_until = (
                state.failures,
                state.last_failure_at,
                state.locked_until,
            )
            session.add(row)


def _usable(user: UserAccount, now: datetime) -> bool:
    today = paris_today(now)
    return (user.opening_date is None or user.opening_date <= today) and (
        user.closing_date is None or today <= user.closing_date
    )


async def _claims(
    runtime: ServiceRuntime, session, user: UserAccount, login: LoginSession, now: datetime
) -> SessionClaims:
    idle = timedelta(minutes=runtime.settings.session_idle_minutes)
    expires = min(login.last_activity_at + idle, login.expires_at)
    return SessionClaims(
        sub=user.id,
        sid=login.id,
        kind=user.kind,
        partner_id=user.partner_id,
        caf_code=user.caf_code,
        groups=await memberships.active_groups(session, user.id, paris_today(now)),
        caf_roles=[r for r in user.caf_roles.split(",") if r],
        password_change_required=user.password_change_required,
        iat=int(now.timestamp()),
        exp=int(expires.timestamp()),
    )


async def _token(runtime: ServiceRuntime, claims: SessionClaims) -> dict[str, Any]:
    ring = await key_ring(runtime)
    return {
        "jeton": issue_token(claims, ring.active),
        "expire_a": datetime.fromtimestamp(claims.exp, tz=runtime.clock.now().tzinfo).isoformat(),
        "changement_mot_de_passe_requis": claims.password_change_required,
    }


async def login(runtime: ServiceRuntime, identifier: str, password: str, address: str | None) -> dict[str, Any]:
    now = runtime.clock.now()
    # Per identifier (known or not, so answers reveal nothing), per (identifier, address), and per address.
    keys = _throttle_keys(runtime, identifier, address)
    async with runtime.db.sessions() as session:
        rows = await _throttles(session, list(keys))
        decisions = [throttling.check(_state(r), now, keys[r.key]) for r in rows.values()]
        user = (
            (await session.execute(sa.select(UserAccount).where(UserAccount.identifier == identifier.strip())))
            .scalars()
            .first()
        )
    blocked = [d.retry_after for d in decisions if not d.allowed]
    if blocked:
        LOGIN_FAILURES.labels("locked").inc()
        raise locked(throttling.blocked_message(max(blocked)))
    if user is None or user.password_hash is None:
        await hashing.verify_unknown(runtime, password)  # same cost as a real check
        await _record_failure(runtime, keys, now)
        raise unauthorized(WRONG_CREDENTIALS)
    if not await hashing.verify(user.password_hash, password):
        await _record_failure(runtime, keys, now)
        raise unauthorized(WRONG_CREDENTIALS)
    if user.status == "suspendu":
        raise unauthorized("Votre compte est suspendu. Contactez votre Caf.")
    if user.status == "clos" or not _usable(user, now):
        raise unauthorized("Votre compte n'est pas ouvert à cette date. Contactez votre administrateur.")
    # Hashed with older parameters: the password is at hand only now, so it is stored again with today's
    new_hash = await hashing.rehashed(runtime, user.password_hash, password)
    async with runtime.db.transaction() as session:
        # A success wipes only its own (identifier, address) pair: the identifier's and the address's counts stay
        pair = [k for k in keys if k.startswith("pair:")]
        for row in (await _throttles(session, pair)).values():
            await session.delete(row)
        account = await session.get(UserAccount, user.id)
        if new_hash is not None and account.password_hash == user.password_hash:  # not changed meanwhile
            account.password_hash = new_hash
        previous = account.last_login_at
        account.previous_login_at, account.last_login_at = previous, now
        login_session = LoginSession(
            id=uuid.uuid4(),
            user_id=user.id,
            created_at=now,
            last_activity_at=now,
            expires_at=now + timedelta(hours=runtime.settings.session_max_hours),
            address=address,
        )
        session.add(login_session)
        claims = await _claims(runtime, session, account, login_session, now)
    answer = await _token(runtime, claims)
    answer["derniere_connexion"] = previous.isoformat() if previous else None
    return answer


async def refresh(runtime: ServiceRuntime, session_id: uuid.UUID) -> dict[str, Any]:
    """Activity: the idle window starts again; refused once idle too long, revoked or past its maximum."""
    now = runtime.clock.now()
    idle = timedelta(minutes=runtime.settings.session_idle_minutes)
    async with runtime.db.transaction() as session:
        login_session = await session.get(LoginSession, session_id)
        if (
            login_session is None
            or login_session.revoked_at is not None
            or login_session.expires_at <= now
            or now - login_session.last_activity_at > idle
        ):
            raise unauthorized(EXPIRED)
        user = await session.get(UserAccount, login_session.user_id)
        if user.status != "actif" or not _usable(user, now):
            raise unauthorized(EXPIRED)
        login_session.last_activity_at = now
        claims = await _claims(runtime, session, user, login_session, now)
    return await _token(runtime, claims)


async def logout(runtime: ServiceRuntime, session_id: uuid.UUID) -> None:
    async with runtime.unit_of_work() as uow:
        login_session = await uow.session.get(LoginSession, session_id)
        if login_session is not None and login_session.revoked_at is None:
            _revoke(uow, runtime, login_session, "logout")


def _revoke(uow: UnitOfWork, runtime: ServiceRuntime, login_session: LoginSession, reason: str) -> None:
    login_session.revoked_at, login_session.revoke_reason = runtime.clock.now(), reason
    uow.publish(
        SessionRevokedV1(
            session_id=login_session.id,
            user_id=login_session.user_id,
            reason=reason,
            expires_at=login_session.expires_at,
        ),
        subject=str(login_session.id),
        aggregate_version=1,
    )


async def revoke_all(
    uow: UnitOfWork, runtime: ServiceRuntime, user_id: uuid.UUID, reason: str, keep: uuid.UUID | None = None
) -> None:
    now = runtime.clock.now()
    open_sessions = (
        await uow.session.execute(
            sa.select(LoginSession).where(
                LoginSession.user_id == user_id,
                LoginSession.revoked_at.is_(None),
                LoginSession.expires_at > now,
            )
        )
    ).scalars()
    for login_session in open_sessions:
        if login_session.id != keep:
            _revoke(uow, runtime, login_session, reason)


async def who_am_i(runtime: ServiceRuntime, user_id: uuid.UUID) -> dict[str, Any]:
    """For the home page: "Votre dernière connexion à ce service date du … à …"."""
    async with runtime.db.sessions() as session:
        user = await session.get(UserAccount, user_id)
        groups = await memberships.active_groups(session, user_id, paris_today(runtime.clock.now()))
    return {
        "id": str(user.id),
        "identifiant": user.identifier,
        "nom": user.last_name,
        "prenom": user.first_name,
        "email": user.email,
        "type": user.kind,
        "partenaire_id": str(user.partner_id) if user.partner_id else None,
        "caf": user.caf_code,
        "groupes": groups,
        "roles_caf": [r for r in user.caf_roles.split(",") if r],
        "derniere_connexion": user.previous_login_at.isoformat() if user.previous_login_at else None,
        "changement_mot_de_passe_requis": user.password_change_required,
    }

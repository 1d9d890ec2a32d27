"""Who is making a request: user name, groups, uid and extra, as authentication and impersonation decide it,
and the service account tokens (ES256 JWTs signed with the cluster CA) that stand for a service account.

The default identity of a request without credentials is a cluster admin. Nothing here speaks HTTP.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.sandbox.tls import CertificateAuthority

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS_USER = "system:anonymous"
MASTERS = "system:masters"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
API_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
"""The audience (and issuer) of service account tokens meant for this API server."""
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return MASTERS in self.groups

    def user_info(self) -> dict[str, object]:
        """authentication.k8s.io UserInfo (SelfSubjectReview, TokenReview)."""
        info: dict[str, object] = {"username": self.user}
        if self.uid:
            info["uid"] = self.uid
        info["groups"] = list(self.groups)
        if self.extra:
            info["extra"] = {key: list(values) for key, values in self.extra.items()}
        return info


ADMIN = Identity("kubernetes-admin", ("kubeadm:cluster-admins", MASTERS, AUTHENTICATED))
ANONYMOUS = Identity(ANONYMOUS_USER, (UNAUTHENTICATED,))


def client_certificate(ca: CertificateAuthority, identity: Identity = ADMIN) -> tuple[bytes, bytes]:
    """(cert, key) PEM of a client certificate that authenticates as `identity` (CN user, O groups)."""
    groups = [group for group in identity.groups if group != AUTHENTICATED]
    return ca.issue(identity.user, [], client=True, organizations=groups)


def with_authenticated(groups: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Groups of an authenticated user: the ones given, then system:authenticated (once)."""
    return tuple(dict.fromkeys([*groups, AUTHENTICATED]))


def service_account_name(username: str) -> tuple[str, str] | None:
    """(namespace, name) when `username` is `system:serviceaccount:<ns>:<name>`, else None."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    parts = username[len(SERVICE_ACCOUNT_PREFIX):].split(":")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def service_account_groups(namespace: str) -> tuple[str, ...]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}")


def service_account(namespace: str, name: str, uid: str = "",
                    extra: dict[str, tuple[str, ...]] | None = None) -> Identity:
    return Identity(f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}",
                    with_authenticated(service_account_groups(namespace)), uid, extra or {})


# --- service account tokens --------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class BoundObject:
    kind: str
    name: str
    uid: str


@dataclass(frozen=True)
class TokenClaims:
    """What a service account token asserts (the `kubernetes.io` private claims plus the standard ones)."""

    namespace: str
    name: str
    uid: str
    audiences: tuple[str, ...]
    issued_at: int
    expires_at: int
    token_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    bound: BoundObject | None = None

    def payload(self) -> dict[str, Any]:
        private: dict[str, Any] = {"namespace": self.namespace,
                                   "serviceaccount": {"name": self.name, "uid": self.uid}}
        if self.bound is not None:
            private[self.bound.kind.lower()] = {"name": self.bound.name, "uid": self.bound.uid}
        return {"aud": list(self.audiences), "exp": self.expires_at, "iat": self.issued_at, "iss": API_AUDIENCE,
                "jti": self.token_id, "kubernetes.io": private, "nbf": self.issued_at,
                "sub": f"{SERVICE_ACCOUNT_PREFIX}{self.namespace}:{self.name}"}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TokenClaims | None:
        private = payload.get("kubernetes.io")
        audiences = payload.get("aud")
        if not isinstance(private, dict) or not isinstance(audiences, list):
            return None
        account = private.get("serviceaccount") or {}
        bound = None
        for kind in ("Pod", "Secret", "Node"):
            ref = private.get(kind.lower())
            if isinstance(ref, dict):
                bound = BoundObject(kind, str(ref.get("name", "")), str(ref.get("uid", "")))
        try:
            return cls(str(private["namespace"]), str(account["name"]), str(account.get("uid", "")),
                       tuple(str(a) for a in audiences), int(payload["iat"]), int(payload["exp"]),
                       str(payload.get("jti", "")), bound)
        except (KeyError, TypeError, ValueError):
            return None


def issue_token(ca: CertificateAuthority, claims: TokenClaims) -> str:
    """A signed JWT carrying `claims`, in the shape kube-apiserver's TokenRequest returns."""
    header = _b64(orjson.dumps({"alg": "ES256", "kid": ca.key_id()}))
    body = _b64(orjson.dumps(claims.payload()))
    signature = ca.sign_es256(f"{header}.{body}".encode())
    return f"{header}.{body}.{_b64(signature)}"


def read_token(ca: CertificateAuthority, token: str) -> TokenClaims | None:
    """The claims of a token this CA signed, or None for anything else (no expiry or existence checks)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = orjson.loads(_unb64(parts[0]))
        signature = _unb64(parts[2])
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            return None
        if not ca.verify_es256(f"{parts[0]}.{parts[1]}".encode(), signature):
            return None
        payload = orjson.loads(_unb64(parts[1]))
    except (binascii.Error, ValueError):
        return None
    return TokenClaims.from_payload(payload) if isinstance(payload, dict) else None


def authenticate_token(cluster: Cluster, token: str,
                       audiences: tuple[str, ...] = (API_AUDIENCE,)) -> tuple[Identity, tuple[str, ...]] | None:
    """The service account a token stands for, and the audiences it was accepted for.

    None unless the token is signed by the cluster CA, unexpired, meant for one of `audiences`, and its
    service account (and the object it is bound to) still exists with the uid it had at issue.
    """
    claims = read_token(cluster.ca, token)
    if claims is None:
        return None
    now = cluster.clock.time()
    if not claims.issued_at - 60 <= now < claims.expires_at:
        return None
    accepted = tuple(audience for audience in audiences if audience in claims.audiences)
    if not accepted:
        return None
    account = cluster.store.get("serviceaccounts", claims.namespace, claims.name)
    if account is None or account["metadata"].get("uid") != claims.uid or account["metadata"].get(
            "deletionTimestamp"):
        return None
    extra: dict[str, tuple[str, ...]] = {CREDENTIAL_ID: (f"JTI={claims.token_id}",)}
    if claims.bound is not None:
        key = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}[claims.bound.kind]
        bound = cluster.store.get(key, "" if key == "nodes" else claims.namespace, claims.bound.name)
        if bound is None or bound["metadata"].get("uid") != claims.bound.uid:
            return None
        prefix = f"authentication.kubernetes.io/{claims.bound.kind.lower()}"
        extra[f"{prefix}-name"] = (claims.bound.name,)
        extra[f"{prefix}-uid"] = (claims.bound.uid,)
    return service_account(claims.namespace, claims.name, claims.uid, extra), accepted


class TokenAuthenticator:
    """Bearer tokens: the static token file's users first, then service account tokens signed by the CA."""

    def __init__(self, cluster: Cluster, static: dict[str, Identity] | None = None) -> None:
        self.cluster = cluster
        self.static = dict(static or {})

    def authenticate(self, token: str,
                     audiences: tuple[str, ...] = (API_AUDIENCE,)) -> tuple[Identity, tuple[str, ...]] | None:
        """(identity, accepted audiences) for a valid token, else None."""
        user = self.static.get(token)
        if user is not None:
            # Static tokens are audience-agnostic: the apiserver accepts them for whatever was asked.
            return user, audiences
        return authenticate_token(self.cluster, token, audiences)

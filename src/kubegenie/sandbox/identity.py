"""Who is making a request: user name, groups, uid and extra, as the authenticator and impersonation
decide it. The default identity of an unauthenticated loopback request is a cluster admin."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return "system:masters" in self.groups

    def user_info(self) -> dict[str, object]:
        info: dict[str, object] = {"username": self.user, "groups": list(self.groups)}
        if self.uid:
            info["uid"] = self.uid
        if self.extra:
            info["extra"] = {key: list(values) for key, values in self.extra.items()}
        return info


ADMIN = Identity("kubernetes-admin", ("kubeadm:cluster-admins", "system:masters", "system:authenticated"))

"""What a traced network is: sizes, activations, loss, dtype — plain, hashable descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softmax", "identity")
LOSSES = ("mse", "l1", "smooth_l1", "bce", "cross_entropy")
REDUCTIONS = ("mean", "sum")
TargetKind = Literal["values", "indices", "probabilities"]


@dataclass(frozen=True)
class Activation:
    """An elementwise activation (or softmax over the last dimension) after a Linear layer."""

    name: str
    negative_slope: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.name == "leaky_relu":
            out["negative_slope"] = self.negative_slope
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Activation:
        return cls(data["name"], data.get("negative_slope"))


@dataclass(frozen=True)
class LossInfo:
    """The loss function, with torch's semantics (reduction, beta, kind of target)."""

    name: str
    reduction: str = "mean"
    beta: float | None = None
    target_kind: TargetKind = "values"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "reduction": self.reduction,
            "target_kind": self.target_kind,
        }
        if self.name == "smooth_l1":
            out["beta"] = self.beta
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LossInfo:
        return cls(data["name"], data["reduction"], data.get("beta"), data["target_kind"])


@dataclass(frozen=True)
class NetworkInfo:
    """Everything about a traced MLP except its numbers."""

    sizes: tuple[int, ...]
    activations: tuple[Activation, ...]
    loss: LossInfo
    batch: int
    dtype: str = "float64"
    lr: float | None = None
    name: str | None = None
    has_bias: tuple[bool, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.has_bias:
            object.__setattr__(self, "has_bias", (True,) * (len(self.sizes) - 1))

    @property
    def depth(self) -> int:
        """Number of Linear layers."""
        return len(self.sizes) - 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sizes": list(self.sizes),
            "activations": [a.to_dict() for a in self.activations],
            "bias": list(self.has_bias),
            "loss": self.loss.to_dict(),
            "lr": self.lr,
            "dtype": self.dtype,
            "batch": self.batch,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkInfo:
        return cls(
            sizes=tuple(data["sizes"]),
            activations=tuple(Activation.from_dict(a) for a in data["activations"]),
            loss=LossInfo.from_dict(data["loss"]),
            batch=data["batch"],
            dtype=data["dtype"],
            lr=data["lr"],
            name=data["name"],
            has_bias=tuple(data["bias"]),
        )

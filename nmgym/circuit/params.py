"""Parameters of the neuromodulated plastic circuit."""

from __future__ import annotations

from dataclasses import dataclass

from nmgym.validation import Replaceable, check_float, check_int


@dataclass(frozen=True)
class CircuitParams(Replaceable):
    """Every constant of :class:`nmgym.circuit.Circuit`, validated at construction.

    The learning rates are the fraction of a prediction error corrected in one update: each unit's
    rate is divided by ``1 + |its presynaptic input|^2``, as in normalised LMS (with
    ``hidden_norm=False`` the hidden rates are divided by the projection's fan-in instead), so
    none needs retuning when the network grows. The critic divides by its trace's overlap with the
    present input where that is larger (normalised TD(lambda)), which keeps it stable over long
    stretches of similar states. ``policy_compression`` is the rate (normalised the same way) at
    which the actor descends the information cost of its policy, ``KL(pi || marginal)``.
    """

    # architecture
    n_areas: int = 2
    units: int = 32  # per area
    leak_min: float = 0.05  # per-unit leak rates, log-spaced: slow units hold memory
    leak_max: float = 1.0
    input_scale: float = 3.0
    recurrent_scale: float = 0.8
    longrange_scale: float = 6.0  # strong coupling: conjunctions across areas need nonlinear mixing
    noise: float = 0.02
    beta: float = 1.0  # inverse temperature of the policy
    actor_input: bool = False  # the actor reads the attended input directly, not only through the areas
    # plasticity
    lr_actor: float = 1.0
    lr_critic: float = 0.1
    covariance_rate: float = 0.01  # running mean subtracted from readout tags (0: plain Hebbian)
    lr_hidden: float = 0.2
    hidden_covariance: bool = True  # hidden tags see presynaptic activity minus its running mean
    hidden_norm: bool = True  # hidden rates per unit / (1 + |pre|^2) (normalised LMS) instead of / fan-in
    chosen_feedback: bool = True  # hidden tags: the chosen action's weights against the others' (AGREL)
    critic_feedback: float = 1.0  # weight of the value gradient in the hidden units' tags
    tau_tag: float = 10.0  # steps
    policy_compression: float = 0.0  # rate of the actor's pull toward its marginal policy (0: none; see Circuit)
    marginal_rate: float = 0.3  # per step: the running marginal policy (the default compressed toward)
    da_range: float = 2.0  # |DA| saturates here (twice the tasks' reward scale)
    # serotonin: patience
    horizon_max: float = 100.0  # discount time constant at 5-HT = 1 (gamma = 1 - 1/horizon)
    horizon_min: float = 5.0  # ... at 5-HT = 0
    capture_threshold: float = 0.01  # |delta| below threshold x 5-HT is not captured
    sht_coupling: float = 0.3  # 5-HT damping of long-range coupling
    # noradrenaline: surprise
    ne_short: float = 5.0  # trials: the running mean of trials' signed prediction error
    ne_long: float = 100.0  # trials: the running variance of their prediction error
    ne_slope: float = 6.0
    ne_threshold: float = 2.0  # surprise (in standard errors) at which NE = 0.5
    ne_lr_boost: float = 2.0
    ne_gain: float = 0.5
    ne_reset: float = 0.9  # fraction of the readout's state-independent action preference reset at a change point
    ne_reset_selective: float = 0.5  # fraction of its stimulus-selective weights reset (ne_reset: reset all alike)
    ne_refractory: int = 10  # trials
    ne_utility: float = 50.0  # trials: the recent reward rate whose fall is surprising too (0: error only)
    ne_uncertainty: float = 10.0  # trials over which the learning-rate boost fades after a reset (0: none)
    # weight, times max(NE, its uncertainty after a reset), of the chosen action's
    # confidence-independent feedback on the actor's state-independent preference at trial ends
    # (0: off; see Circuit)
    ne_relearn: float = 0.0
    tau_labile: float = 500.0  # steps for the readouts' learned weights to consolidate beyond NE's reset
    # acetylcholine: attention
    ach_attention: float = 0.3
    ach_coupling: float = 0.5
    ach_transient: float = 6.0  # boost of the areas' input drive at a full cholinergic transient (0: none)
    # largest attended rise above the inputs' running statistics (the exact mean of the inputs
    # seen, then a running one at covariance_rate), in standard deviations, at half a transient
    ach_transient_threshold: float = 2.0
    ach_transient_slope: float = 8.0

    def __post_init__(self) -> None:
        check_int(self, "n_areas", low=1)
        check_int(self, "units", low=1)
        check_float(self, "leak_min", low=0.0, high=1.0, open_low=True)
        check_float(self, "leak_max", low=self.leak_min, high=1.0)
        for name in ("input_scale", "recurrent_scale", "longrange_scale", "noise", "beta"):
            check_float(self, name, low=0.0)
        for name in ("lr_actor", "lr_critic", "lr_hidden", "critic_feedback", "capture_threshold", "sht_coupling"):
            check_float(self, name, low=0.0)
        check_float(self, "sht_coupling", low=0.0, high=0.99)
        check_float(self, "tau_tag", low=0.0)
        check_float(self, "policy_compression", low=0.0)
        check_float(self, "marginal_rate", low=0.0, high=1.0, open_low=True)
        check_float(self, "da_range", low=0.0, open_low=True)
        check_float(self, "horizon_min", low=1.0)
        check_float(self, "horizon_max", low=self.horizon_min)
        check_float(self, "ne_short", low=1.0)
        check_float(self, "ne_long", low=1.0)
        for name in ("ne_slope", "ne_threshold", "ne_lr_boost", "ne_gain", "ach_attention", "ach_coupling"):
            check_float(self, name, low=0.0)
        for name in ("ach_transient", "ach_transient_threshold", "ach_transient_slope"):
            check_float(self, name, low=0.0)
        check_float(self, "ne_reset", low=0.0, high=1.0)
        check_float(self, "ne_reset_selective", low=0.0, high=1.0)
        check_int(self, "ne_refractory", low=0)
        check_float(self, "ne_uncertainty", low=0.0)
        check_float(self, "ne_relearn", low=0.0)
        check_float(self, "ne_utility", low=0.0)
        if 0 < self.ne_utility < 1:  # a running mean needs at least one trial; 0 switches it off
            raise ValueError(
                f"CircuitParams: ne_utility={self.ne_utility!r} is not allowed; ne_utility must be 0 (off) or >= 1"
            )
        check_float(self, "tau_labile", low=0.0, open_low=True)
        check_float(self, "covariance_rate", low=0.0, high=1.0)

"""Parameters of the neuromodulated plastic circuit."""

from __future__ import annotations

from dataclasses import dataclass

from nmgym.validation import Replaceable, check_bool, check_float, check_int


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
    Each parameter is described in :data:`DESCRIPTIONS` (listed below, and by ``nmgym circuit``).
    """

    # architecture
    n_areas: int = 2
    units: int = 32
    leak_min: float = 0.05
    leak_max: float = 1.0
    input_scale: float = 3.0
    recurrent_scale: float = 0.8
    longrange_scale: float = 6.0
    noise: float = 0.02
    beta: float = 1.0
    actor_input: bool = False
    # plasticity
    lr_actor: float = 1.0
    lr_critic: float = 0.1
    covariance_rate: float = 0.01
    lr_hidden: float = 0.2
    hidden_covariance: bool = True
    trial_locked_steps: int = 0
    trial_locked_rate: float = 0.05
    trial_locked_hidden: bool = True
    trial_locked_actor: bool = True
    hidden_norm: bool = True
    chosen_feedback: bool = True
    critic_feedback: float = 1.0
    tau_tag: float = 10.0
    policy_compression: float = 0.0
    marginal_rate: float = 0.3
    actor_whitening: float = 0.0
    actor_whitening_floor: float = 0.1
    da_range: float = 2.0
    # serotonin: patience
    horizon_max: float = 100.0
    horizon_min: float = 5.0
    capture_threshold: float = 0.01
    sht_coupling: float = 0.3
    pavlovian: float = 30.0
    action_persistence: float = 1.0
    action_persistence_release: float = 0.5
    action_persistence_slope: float = 8.0
    # noradrenaline: surprise
    ne_short: float = 5.0
    ne_long: float = 100.0
    ne_slope: float = 6.0
    ne_threshold: float = 2.0
    ne_lr_boost: float = 2.0
    ne_gain: float = 0.5
    ne_reset: float = 0.9
    ne_reset_selective: float = 0.5
    ne_refractory: int = 10
    ne_utility: float = 50.0
    ne_uncertainty: float = 10.0
    ne_relearn: float = 0.0
    ne_contexts: int = 2
    ne_context_margin: float = 0.2
    ne_context_recheck: float = 0.5
    tau_labile: float = 500.0
    # acetylcholine: attention
    ach_attention: float = 0.3
    ach_coupling: float = 0.5
    ach_transient: float = 6.0
    ach_transient_threshold: float = 2.0
    ach_transient_slope: float = 8.0
    ach_transient_per_channel: bool = True
    ach_trial_locked_steps: int = 0
    ach_competition: float = 6.0
    ach_competition_threshold: float = 1.0
    ach_persistence: float = 0.0
    persistence_bound: float = 2.0
    persistence_retention: float = 0.5
    persistence_slope: float = 8.0

    @property
    def trial_locked_parts(self) -> tuple[bool, bool]:
        """Whether the hidden input tags' and the actor's trial-locked expectations are in use. The
        hidden part works through the hidden covariance rule: it replaces that rule's running mean."""
        steps = self.trial_locked_steps > 0
        return steps and self.hidden_covariance and self.trial_locked_hidden, steps and self.trial_locked_actor

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
        check_float(self, "pavlovian", low=0.0)
        check_float(self, "action_persistence", low=0.0)
        check_float(self, "action_persistence_release", low=0.0)
        check_float(self, "action_persistence_slope", low=0.0)
        check_float(self, "tau_tag", low=0.0)
        check_float(self, "policy_compression", low=0.0)
        check_float(self, "actor_whitening", low=0.0)
        check_float(self, "actor_whitening_floor", low=0.0, open_low=True)
        check_float(self, "marginal_rate", low=0.0, high=1.0, open_low=True)
        check_float(self, "da_range", low=0.0, open_low=True)
        check_float(self, "horizon_min", low=1.0)
        check_float(self, "horizon_max", low=self.horizon_min)
        check_float(self, "ne_short", low=1.0)
        check_float(self, "ne_long", low=1.0)
        for name in ("ne_slope", "ne_threshold", "ne_lr_boost", "ne_gain", "ach_attention", "ach_coupling"):
            check_float(self, name, low=0.0)
        for name in (
            "ach_transient",
            "ach_transient_threshold",
            "ach_transient_slope",
            "ach_competition",
            "ach_competition_threshold",
            "ach_persistence",
            "persistence_bound",
            "persistence_slope",
        ):
            check_float(self, name, low=0.0)
        check_float(self, "persistence_retention", low=0.0, high=1.0)
        check_float(self, "ne_reset", low=0.0, high=1.0)
        check_float(self, "ne_reset_selective", low=0.0, high=1.0)
        check_int(self, "ne_refractory", low=0)
        check_float(self, "ne_uncertainty", low=0.0)
        check_float(self, "ne_relearn", low=0.0)
        check_int(self, "ne_contexts", low=1, high=2)
        check_float(self, "ne_context_margin", low=0.0)
        check_float(self, "ne_context_recheck", low=0.0, high=1.0)
        check_float(self, "ne_utility", low=0.0)
        if 0 < self.ne_utility < 1:  # a running mean needs at least one trial; 0 switches it off
            raise ValueError(
                f"CircuitParams: ne_utility={self.ne_utility!r} is not allowed; ne_utility must be 0 (off) or >= 1"
            )
        check_float(self, "tau_labile", low=0.0, open_low=True)
        check_float(self, "covariance_rate", low=0.0, high=1.0)
        check_int(self, "trial_locked_steps", low=0)
        check_int(self, "ach_trial_locked_steps", low=0)
        check_float(self, "trial_locked_rate", low=0.0, high=1.0, open_low=True)
        for name in (
            "actor_input",
            "hidden_covariance",
            "trial_locked_hidden",
            "trial_locked_actor",
            "hidden_norm",
            "chosen_feedback",
            "ach_transient_per_channel",
        ):
            check_bool(self, name)
        if self.trial_locked_steps > 0 and not any(self.trial_locked_parts):
            flags = ("hidden_covariance", "trial_locked_hidden", "trial_locked_actor")
            off = " and ".join(f"{name}=False" for name in flags if not getattr(self, name))
            raise ValueError(
                f"CircuitParams: trial_locked_steps={self.trial_locked_steps!r} with {off} expects nothing;"
                " set trial_locked_actor=True, or trial_locked_hidden=True with hidden_covariance=True,"
                " or trial_locked_steps=0"
            )


# What each parameter sets (``help(CircuitParams)`` and ``nmgym circuit`` list them).
DESCRIPTIONS: dict[str, str] = {
    "n_areas": "number of areas (each with its own input weights and local recurrence)",
    "units": "units per area",
    "leak_min": "smallest per-unit leak rate (leaks are log-spaced: slow units hold memory)",
    "leak_max": "largest per-unit leak rate (1: no memory)",
    "input_scale": "initial input weights: standard deviation x sqrt(fan-in) (random normal)",
    "recurrent_scale": "initial local recurrent weights: standard deviation x sqrt(units) (about their radius)",
    "longrange_scale": "strength of cross-area coupling (strong: conjunctions across areas need nonlinear mixing)",
    "noise": "standard deviation of the units' private noise per step",
    "beta": "inverse temperature of the policy",
    "actor_input": "the actor reads the attended input directly, not only through the areas",
    "lr_actor": "actor's learning rate (fraction of the error corrected per update, normalised LMS)",
    "lr_critic": "critic's learning rate (normalised by its trace's overlap with the input)",
    "covariance_rate": "per step: running mean subtracted from presynaptic activity in the tags (0: plain Hebbian)",
    "lr_hidden": "learning rate of the areas' input, local and long-range weights",
    "hidden_covariance": "hidden tags see presynaptic activity minus its running mean",
    "trial_locked_steps": "steps of a trial with their own expectation of the hidden tags' input and the actor's"
    " readout (later steps share the last; 0: one running mean over every step)",
    "trial_locked_rate": "per trial: rate of the trial-locked expectations (their exact mean until 1 / rate trials)",
    "trial_locked_hidden": "the hidden input tags see the input minus its trial-locked expectation instead of"
    " hidden_covariance's running mean (False: the running mean)",
    "trial_locked_actor": "the actor's tags see the readout minus its trial-locked expectation (the critic's"
    " keep the running mean)",
    "hidden_norm": "hidden rates per unit divided by 1 + |pre|^2 (normalised LMS) instead of by the fan-in",
    "chosen_feedback": "hidden tags get the chosen action's weights against the others' (AGREL)",
    "critic_feedback": "weight of the value gradient in the hidden units' tags",
    "tau_tag": "time constant of the eligibility traces (synaptic tags), steps",
    "policy_compression": "rate of the actor's pull toward its marginal policy, KL(pi || marginal) (0: none)",
    "marginal_rate": "per step: the running marginal policy that compression pulls toward",
    "actor_whitening": "actor's rate on its stimulus-selective weights in whitened coordinates (0: plain LMS)",
    "actor_whitening_floor": "added to the diagonal of the second moment that whitening inverts",
    "da_range": "|DA| saturates here (twice the tasks' reward scale)",
    "horizon_max": "discount time constant at 5-HT = 1, steps (gamma = 1 - 1/horizon)",
    "horizon_min": "discount time constant at 5-HT = 0, steps",
    "capture_threshold": "|DA| below this times 5-HT is not captured (consolidation threshold)",
    "sht_coupling": "5-HT damping of cross-area coupling: / (1 + sht_coupling (5-HT - 1))",
    "pavlovian": "5-HT's Pavlovian inhibition: the go action's logit gains pavlovian x 5-HT x min(V, 0),"
    " where the task has a go action (0: off)",
    "action_persistence": "5-HT's persistence of withholding: where the task has a go action, the logit of the"
    " trial's last action, if it was not go, gains this times 5-HT, released by an input's rise (0: none; see Circuit)",
    "action_persistence_release": "rise of an input above its running mean, in standard deviations, at which an event"
    " releases half the persistence",
    "action_persistence_slope": "slope of the release's sigmoid in that rise",
    "ne_short": "trials: running mean of the trials' signed prediction error (surprise's numerator)",
    "ne_long": "trials: running variance of the trials' prediction error (surprise's scale)",
    "ne_slope": "slope of NE's sigmoid in surprise",
    "ne_threshold": "surprise, in standard errors, at which NE = 0.5 (and a reset fires)",
    "ne_lr_boost": "learning-rate boost at full NE or uncertainty (rate x (1 + boost))",
    "ne_gain": "gain boost of the areas' units at full NE",
    "ne_reset": "fraction of the readout's state-independent action preference reset at a change point",
    "ne_reset_selective": "fraction of the readout's stimulus-selective weights reset at a change point",
    "ne_refractory": "trials after a reset before another can fire",
    "ne_utility": "trials: the recent reward rate whose fall is surprising too (0: prediction error only)",
    "ne_uncertainty": "trials over which the learning-rate boost fades after a reset (0: none)",
    "ne_relearn": "weight, times max(NE, uncertainty), of the chosen action's confidence-independent feedback"
    " on the actor's state-independent preference at trial ends (0: off; see Circuit)",
    "ne_contexts": "latent contexts (1 or 2): with 2 a reset can swap the labile part of the readouts' bias (their"
    " state-independent preference) for the other context's, kept since the last switch; with 1 it cuts it"
    " (see Circuit); a switch happens only at a reset, so none with ne_reset = ne_reset_selective = 0",
    "ne_context_margin": "with 2 contexts, how much better the stored context's bias must have explained the recent"
    " trials (short mean of the trial's prediction error times the bias's advantage for the choice made) for a"
    " reset to swap it in rather than cut the present one",
    "ne_context_recheck": "with 2 contexts, the relative uncertainty (1 at a reset, fading over ne_uncertainty trials)"
    " above which a trial end where the stored context explains the recent trials better by the margin counts as"
    " a reset of its own, refractory or not (1: only NE's alarm resets; none with ne_uncertainty = 0)",
    "tau_labile": "steps for the readouts' learned weights to consolidate beyond NE's reset",
    "ach_attention": "strength of ACh's input gain: relevant channels above 1, the rest below",
    "ach_coupling": "ACh scaling of cross-area coupling: x (1 + ach_coupling (ACh - 1))",
    "ach_transient": "boost of the areas' input drive at a full cholinergic transient (0: no transients)",
    "ach_transient_threshold": "largest relevance-weighted rise of an input above its running mean, in standard"
    " deviations, at half a transient",
    "ach_transient_slope": "slope of the transient's sigmoid in that rise",
    "ach_transient_per_channel": "each channel's drive boosted by its own rise's transient (False: every channel by"
    " the largest, the default before; docs/open-problems.md)",
    "ach_trial_locked_steps": "relevance amplifies (ratio above 1) only the part of an input's rise above what is"
    " expected at its step of the trial, kept for this many steps of a trial (later steps share the last);"
    " it suppresses (ratio below 1) the whole rise (0: amplifies the whole rise)",
    "ach_competition": "bottom-up capture by salient inputs, released as ACh falls: each channel's gain divided by"
    " 1 + ach_competition relu(1 - ACh) (the other channels' salience past the threshold) (0: off)",
    "ach_competition_threshold": "salience past which an input captures gain: its rise above its running mean, in"
    " standard deviations, over its relevance ratio (a surprise learning has not found relevant)",
    "ach_persistence": "gain of the persistent units, one per input channel, read by the readouts: each adds its"
    " attended input times its own transient, times this, latches it once its accumulated rise crosses"
    " persistence_bound, and holds it until a transient on another channel releases it (0: none; see Circuit)",
    "persistence_bound": "accumulated rise, in standard deviations, past which an input is latched into its"
    " persistent unit without a transient: the bottom-up route that the ach lesion leaves (0: none)",
    "persistence_retention": "per step: the fraction of a channel's accumulated rise kept (the rest leaks)",
    "persistence_slope": "slope of the latch's sigmoid in the accumulated rise past persistence_bound",
}


def describe_parameters() -> str:
    """Every parameter with its default and what it sets, one per line."""
    defaults = CircuitParams()
    width = max(len(name) for name in CircuitParams.names())
    return "\n".join(
        f"{name:<{width}}  {getattr(defaults, name)!r:>7}  {DESCRIPTIONS[name]}" for name in CircuitParams.names()
    )


if CircuitParams.__doc__ is not None:  # None under python -OO
    CircuitParams.__doc__ += "\n    Parameters (name, default, meaning)::\n\n" + "\n".join(
        f"        {line}" for line in describe_parameters().splitlines()
    )

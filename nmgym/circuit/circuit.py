"""The neuromodulated plastic circuit: ``B`` independent networks advanced as one batch.

Per agent and step (DESIGN.md section 5):

* **ACh attention** (Yu & Dayan 2005; Herrero et al. 2008): input gain
  ``g = relu(1 + k_ach * ACh * (rel / mean(rel) - 1))``, where ``rel`` is each channel's slowly
  learned relevance: how far dopamine-gated plasticity has moved its synapses onto the areas
  (the inputs learning has used, alone or in conjunction). High ACh amplifies relevant channels and suppresses the rest;
  ACh also scales long-range coupling (Rodriguez et al. 2004, a model assumption beyond it).
  **Phasic ACh** (on by default, ``ach_transient=6``; 0 switches it off): a cholinergic
  transient on a surprising attended input (Parikh et al. 2007; Hasselmo & Sarter 2011),
  ``sigmoid(k (s - s0))`` with ``s`` the largest relevance-weighted rise of an input above
  its running mean (in standard deviations), multiplies that step's attended input by
  ``1 + ach_transient * transient`` where it drives the areas (a cortical gain change); the
  readouts and the tags see it unboosted. Each channel is boosted by its own rise's transient
  (``ach_transient_per_channel``, the default since bottom-up capture below): when every channel
  was boosted by the largest (``False``), a flash's transient multiplied the fixation channel's
  drive as a signal's does, a common kick the readout took for a cue, and that was most of
  SustainedAttention's intact distractor cost (seeds 1-3: 0.020, 0.020, 0.023 -> -0.000, 0.007,
  0.010; docs/open-problems.md).
  **Bottom-up capture, released as ACh falls** (``ach_competition=6``,
  ``ach_competition_threshold=1``; Desimone & Duncan 1995; Sarter, Hasselmo, Bruno & Givens
  2005: cholinergic inputs mediate the top-down control of detection, and their loss leaves it to
  signal-driven processes that distractors capture; Newman & McGaughy 2008). An input's salience
  is its rise over its relevance ratio (a surprise learning has not found relevant, where the
  transient weighs a relevant one); each channel's gain is divided by
  ``1 + ach_competition * relu(1 - ACh) * sum_(j != i) relu(salience_j - threshold)``. At full
  ACh every divisor is 1 (the intact circuit is unchanged bitwise); without it a flash takes gain
  from the signal channel while it lasts, which no readout can learn back: before, the ``ach``
  circuit learned around the flash and paid less for it than the intact one. ``nmgym study
  SustainedAttention --lesion ach --agents 64 --seed S --no-references --param
  distractor_after=500`` over seeds 1-7 at noise 0.3, the three ACh rows held (hits, rejections,
  distractor cost) on 4, 5 and 0 seeds with the previous circuit, and 5, 5 and 6 with both
  changes at strength 3; at noise 0.4 on 2, 6, 0 and 1, 6, 6. Strength 6 (chosen among 3, 6 and
  10 on seeds 0-3, where all three rows held on 3, 4 and 3 seeds; then checked on seeds 4-7): over
  seeds 0-7 at noise 0.3 the rows hold on 8, 8 and 7 seeds (strength 3: 5, 6, 7), the drop in brief
  hits 0.162-0.219 (0.140-0.186): the ``ach`` circuit misses more brief signals and rejects as
  often as the intact one (seed 0: brief hits 0.447 -> 0.415, rejections 0.842 -> 0.870, intact
  0.587 and 0.880). At noise 0.4 the hit row holds on 1 of 8 seeds either way, and the drop is a
  little smaller (mean 0.114 against 0.130; 0.075-0.182 against 0.101-0.160). Capture acts only
  where ACh is lowered: no intact figure moved.
  The per-channel boost did move the intact circuit (``nmgym train``, seeds 1-3):
  SustainedAttention without the distractor 0.816, 0.833, 0.830 -> 0.854, 0.853, 0.853,
  CueReward 0.901, 0.898, 0.919 -> 0.891, 0.882, 0.878, WaitForReward 0.848, 0.833, 0.872 ->
  0.822, 0.876, 0.809.
  A brief signal is then encoded as a larger, partly thresholded step than the noise around it;
  the ``ach`` lesion removes it, ``ach=0.5`` halves it, a clamp leaves no phasic signal. The
  running mean is the exact mean of the inputs seen until it becomes a running one, so a channel
  that is always on (ReversalBandit's trial signal) evokes nothing; a mean climbing from zero
  evoked transients through the first hundred steps, which changed the bandit's learning enough
  to weaken the ``ne`` lesion's effect (every 50 trials, 24 agents, seed 3: 25.5 -> 48 trials to
  criterion, bar 50; now 25 -> 50, as without transients), and kept the transients off by default
  until then. Boosting the readouts' and the tags' input too cost DistalReward 0.98 -> 0.89.
  Measured with the drive-only boost, before NE's fading boost below (last-fifth fraction
  correct, 64 agents, seed 1, ``scripts/agent_table.py``), ``ach_transient`` 0 / 6:
  SustainedAttention 0.74 / 0.81, CueReward 0.72 / 0.82, DistalReward 0.98 / 0.98,
  ReversalBandit 0.66 / 0.66, CrossAreaXOR 0.95 / 0.92, WaitForReward 0.84 / 0.82 (32 agents,
  seed 2: 0.80 / 0.86, within Wait's spread across seeds).
  The deviation was first averaged over the channels (weighted by their share of relevance), so
  a brief signal on one channel was diluted by those that did not change: its transient averaged
  about 0.4. A cue is detected on one channel, so the largest weighted deviation now sets it
  (threshold 1 -> 2 SD): SustainedAttention's intact accuracy 0.803 / 0.795 / 0.812 / 0.809 ->
  0.826 / 0.834 / 0.845 / 0.820 (seeds 0-3, 64 agents, distractor from trial 500), brief hits
  0.49 / 0.56 / 0.60 / 0.54 -> 0.58 / 0.59 / 0.58 / 0.60.
  A fall below the running mean evoked transients too: the signals raise the signal channel's
  mean, so a dip of its noise deviated as far as a cue, and 7.8% of signal-free steps evoked a
  transient (most of them on dips; 37% of signal-free trials had one, and the readout learned to
  discount them). Only a rise counts now: 1.3% of signal-free steps, a transient on 71% of the
  one-step signals (68% before), and a hit on 78% of the one-step trials that had one (69%;
  seed 1, 64 agents, the second 500 of 1000 trials without distractor).
  Intact accuracy 0.826 / 0.834 / 0.845 / 0.820 -> 0.840 / 0.834 / 0.836 / 0.849, brief hits
  0.58 / 0.59 / 0.58 / 0.60 -> 0.61 / 0.60 / 0.57 / 0.61 (same protocol).
  **Relevance amplifies only the unpredicted rise** (``ach_trial_locked_steps``; off by default,
  0). A transient marks a cue the animal did not expect (Parikh et al. 2007; Howe et al. 2013),
  so with ``ach_trial_locked_steps = T`` learned relevance amplifies (``w > 1``) only the part of
  a rise above what the trial's time course predicts, the input's mean at the same step of past
  trials (one row per step, steps after ``T`` sharing the last; the exact mean until
  ``1 / covariance_rate`` visits, then a running one): ``s_i = min(w_i, 1) rise_i + relu(w_i - 1)
  u_i``, with ``u_i`` the part of the rise above the larger of the running mean and that
  expectation (:func:`~nmgym.circuit.acetylcholine.unpredicted_rise`).
  Suppression (``w < 1``) still acts on the whole rise, so an irrelevant channel's noise stays
  quiet. On CueReward fixation's synapses drift more than any cue's (its relevance ratio 3.4, the
  cues' 0.36-0.65), so fixation, the same in every trial, evoked a full transient at each of its
  three steps and drove the areas sevenfold: 2.93 transients a trial, with it 0.06 (the go
  signal's 0.90 -> 0.74, the cues' unchanged; seed 1). ``nmgym train TASK --agents 64 --seed S
  --circuit ach_trial_locked_steps=16``, the last fifth: CueReward 0.878 -> 0.911 (the mean over
  seeds 1-10), SustainedAttention (without the distractor) 0.849 -> 0.847 (lower at 7 of seeds
  1-10), CrossAreaXOR 0.937 -> 0.944 and DistalReward 0.987 -> 0.995 (seeds 1-3), ReversalBandit
  (one channel) unchanged bitwise, WaitForReward 0.937 -> 0.924 (seeds 1-5; docs/open-problems.md,
  "What phasic ACh cost CueReward"). Not the default: ``nmgym reproduce --quick --circuit
  ach_trial_locked_steps=16`` holds 27, 27, 27, 26, 26, 27 rows at seeds 0-5; at seeds 3 and 4
  the ``da:delay=20`` circuit's median at D = 0 is 0.84 and 0.892 (bar 0.8; with the default
  0.532 at seed 3). The tags are wiped at each trial's end, so that dopamine never meets the
  choice's tag; the agents learn through NE, mostly its resets, which read the reward rate
  without dopamine's delay (with ``+ne`` the bias to the right mapping goes; dopamine 300 steps
  late tilts it further). A reading: a fall of the reward rate resets the labile readout, undoing
  a walk that goes wrong and keeping one that goes right; with the option more walks end sure.
* **Areas**: ``h_k <- h_k + a * (tanh(G * (W_in (b g x) + W_loc h_k + c * W_lr h_other) + noise) - h_k)``
  with per-unit leak ``a`` (log-spaced: slow units keep time), NE gain ``G``, coupling ``c`` and
  the transient's boost ``b``.
* **Actor and critic**: ``pi = softmax(beta * W_pi h)``, ``V = w_v . r``: the critic reads
  ``r = [h, g x]`` (with the persistent units below, ``[h, m, g x]``), the areas' activity and,
  directly, the attended input (as sensory cortex projects to striatum as well as to association
  areas); the actor reads the areas only (and the persistent units; ``actor_input=True`` gives it
  ``r`` too). A direct input path lets the actor settle on the
  best linear rule before the areas have formed a conjunction: on CrossAreaXOR half the agents
  stayed on a 75%-correct linear solution (without the direct path and with the chosen action's
  feedback below, last-fifth accuracy 0.79 -> 0.95; 64 agents, ``scripts/agent_table.py``).
* **Persistent units** (``ach_persistence``; off by default, 0): one unit per input channel,
  read by the readouts (``r = [h, m, g x]``; the actor learns from ``m`` as from ``h``; the areas
  do not see it) and zeroed at a trial's start, loaded two ways. *Cholinergic* (graded
  persistent activity: Egorov, Hamam, Fransen, Hasselmo & Alonso 2002, where under muscarinic
  activation an entorhinal neuron holds a firing rate that each brief input steps up; Hasselmo &
  Stern 2006): the channel's attended input enters as far as its own transient lets it in,
  ``m_i <- keep_i * m_i + ach_persistence * T_i * g_i x_i``. *Bottom-up* (``persistence_bound``, 2;
  0 switches it off): the channel's rise accumulates over the trial,
  ``e_i <- persistence_retention * e_i + rise_i``, and once it crosses the bound the input is
  latched, ``m_i <- max(m_i, ach_persistence * sigmoid(s (e_i - bound)) * g_i x_i)`` with ``s`` =
  ``persistence_slope`` (8) (bounded accumulation of evidence, Gold & Shadlen 2007): a salient input
  crosses at once, a one-step signal in noise seldom. A transient on another channel releases what
  is held (``keep_i = 1 - max_(j != i) T_j``, from the next step, so the releasing event is read
  with the memory). The ``ach`` lesion removes the cholinergic route and leaves the bottom-up one
  (which nothing then releases before the trial ends), ``ach=0.5`` halves the cholinergic load, and
  ``ach_transient=0`` leaves the bottom-up route alone. A leaky unit either forgets a one-step
  signal before the response or, slow, takes it in weakly among the noise of every other step; a
  persistent unit takes in what the transient marked.
  ``nmgym train TASK --agents 64 --seed S --circuit ach_persistence=1.5`` (the last fifth, seeds
  1-3; SustainedAttention without the distractor; AVX512 host), the default -> the units:
  SustainedAttention 0.854, 0.853, 0.853 -> 0.887, 0.902, 0.906; CueReward 0.891, 0.882, 0.878
  -> 0.910, 0.912, 0.890; WaitForReward 0.822, 0.876, 0.809 -> 0.863, 0.825, 0.836;
  DistalReward 0.996, 0.995, 0.987 -> 0.987, 0.988, 0.988; CrossAreaXOR 0.958, 0.928, 0.919 ->
  0.951, 0.920, 0.924; ReversalBandit (one input, always on: it never rises) unchanged.
  ``nmgym reproduce --quick --seed S --circuit ach_persistence=1.5`` holds all 27 rows at seeds
  0-3, where the bound was chosen (at seeds 4 and 5: 27 and 25; the default 26 and 27): the
  ``ach`` circuit, which keeps the bottom-up route, loses the brief signals (its hits on them
  0.49-0.53, intact 0.69-0.70) and keeps its rejections (0.88-0.91, intact 0.92-0.93), as in
  McGaughy et al. 1996. Not the default, for two statistical checks of the test suite
  (``tests/test_effects.py``, 24 agents, seed 3): the ``5ht`` circuit's CueReward learning speed
  falls to 0.849 of intact (bar 0.85; the units speed up the intact circuit, 0.812 -> 0.840, and
  not the ``5ht`` one, 0.723 -> 0.713), and with noise 0.4 on the signal the ``ach`` circuit's
  drop in brief hits is 0.094 (bar 0.15; the default passes this check, though over eight seeds of
  64 agents at that noise its drop reaches the bar at one); at that noise the units also fail
  "ach raises the distractor cost" at three seeds of four (1.44x-1.77x). With the cholinergic
  route alone (``persistence_bound=0``, the previous version) SustainedAttention scored 0.883,
  0.879, 0.900, but the intact circuit rejected more signal-free trials while the ``ach``
  circuit, its units empty, did not: "ach spares correct rejections" failed (27, 25, 26, 24 rows
  at seeds 0-3). Held to the trial's end (no release; a
  build with that term, G = 1), a cue stayed in the actor's input after the choice, and the
  ignored actions between the choice and the reward were credited with it: CueReward 0.849,
  0.881, 0.848 (docs/open-problems.md).
* **DA** (Schultz, Dayan & Montague 1997): ``delta = r + gamma * V' - V``, gamma set by 5-HT
  (Doya 2002). The readouts' capture acts at once: after :meth:`learn` the policy and the value
  are the present input's under the new weights, so both values of the next error come from the
  same weights (TD(0), Sutton & Barto 2018 ch. 6) and the next choice follows the last outcome.
  They used to be those computed before the capture, a step stale: on the one-step bandit every
  update and every NE reset acted a trial late (the trial after a reset was 4% correct; now 29%)
  and the last fifth rose 0.757 -> 0.784, 0.772 -> 0.785, 0.761 -> 0.777 (seeds 1, 3, 4; 64
  agents, ``scripts/agent_table.py`` protocol).
* **Tags and capture** (Frey & Morris 1997; Izhikevich 2007): each projection keeps an
  eligibility trace ``E <- lambda * E + post (x) pre`` (for the actor ``(onehot(a) - pi) (x) h``,
  for hidden units the chosen action's feedback, as in AGREL, Roelfsema & van Ooyen 2005: the
  chosen action's weights against the others', ``W_pi^T (onehot(a) - pi_rest / sum(pi_rest))``,
  which does not vanish as the policy saturates, so a persistent error on a choice the agent has
  become sure of still reshapes the areas' features; ``chosen_feedback=False`` feeds back
  ``W_pi^T (onehot(a) - pi)`` instead);
  ``W <- W + eta * delta * E``. Presynaptic factors are activity minus its running mean (a
  covariance rule) and each unit's rate is divided by ``1 + |pre|^2`` (normalised LMS; the
  critic's by ``1 + max(|R|^2, E_v . R)``, so tags piled up over similar states cannot overshoot
  the error). 5-HT sets
  a threshold on ``|delta|`` below which nothing is captured. The hidden projections' capture is
  applied by the next ``act()``, fused with its tag (one pass over each weight and trace).
* **Trial-locked expectations** (``trial_locked_steps``; off by default, 0; the covariance rule
  taken across trials, Sejnowski 1977, Loewenstein & Seung 2006; what is expected at a moment
  does not teach, as in predictive coding, Rao & Ballard 1999): with ``trial_locked_steps = T``
  and ``trial_locked_hidden`` (on with it) the hidden input tags subtract from each input the
  mean of that input at the same step of past trials (one expectation per step of a trial,
  steps after ``T`` sharing the last; the exact mean until ``1 / trial_locked_rate`` trials,
  then a running one), not its running mean over every step; with ``trial_locked_actor`` (on
  with it) the actor's tag does the same with the readout, while the critic keeps the running
  mean (its values differ by step). An input with the same time course in every trial
  (fixation, a go signal) then has no presynaptic factor: dopamine no longer drifts its synapses
  onto the areas, and ACh's relevance, which measures that drift, no longer turns attention from
  the cues to it. On CueReward that drift was most of what the
  areas' learning cost (freezing the fixation and go channels' input synapses, a diagnostic build:
  0.863 -> 0.949; the relevance of fixation was 2.11 against 0.22-0.38 for the cues, now 0.03).
  ``nmgym train TASK --agents 64 --seed S --circuit trial_locked_steps=64`` (the last fifth, seeds
  1-3; SustainedAttention without the distractor; AVX512 host), the default -> trial-locked:
  CueReward 0.863, 0.873, 0.880 -> 0.963, 0.947, 0.952; WaitForReward 0.941, 0.930, 0.954 ->
  0.986, 0.987, 0.986; CrossAreaXOR 0.952, 0.936, 0.923 -> 0.952, 0.955, 0.927; DistalReward
  0.980, 0.995, 0.987 -> 0.981, 0.999, 0.991; ReversalBandit 0.881, 0.876, 0.881 -> 0.879, 0.865,
  0.877; SustainedAttention 0.854, 0.853, 0.853 -> 0.840, 0.845, 0.844. The hidden tags' part
  alone (``trial_locked_actor=False``): CueReward 0.962, 0.955, 0.960, WaitForReward 0.937,
  0.927, 0.934, SustainedAttention 0.848, 0.848, 0.849. Not the default: with it two lesion
  checks on SustainedAttention in the test suite fail (24 agents, seed 3: at noise 0.2 the
  ``ach`` circuit rejects 0.826 of the signal-free trials against the intact circuit's 0.940, bar
  0.05; at noise 0.4 the intact circuit hits 0.477 of the briefest signals, bar 0.5); with the
  hidden part alone, four checks fail, among them XOR's escape from the linear solution (89 of
  128 agents, bar 96). ``nmgym reproduce --quick --seed S --circuit trial_locked_steps=64`` holds
  27, 26, 26, 26 rows at seeds 0-3: on DistalReward at D = 0 most of the ``da:delay=20``
  circuit's agents, near chance with the default, end sure of one mapping, right or wrong, and
  the median lands on a mode (0.06, 0.93, 0.93, 0.82; docs/open-problems.md). The actor's part
  alone (``trial_locked_hidden=False``), with the persistent units and
  ``ach_trial_locked_steps=16``, closes more of both CueReward's and SustainedAttention's gaps
  than any other circuit: 0.941 and 0.902 (seeds 1-5, 88% and 89%; the default 0.882 and 0.842
  on the same host); it fails lesion rows too, that one among them. Without
  ``ach_trial_locked_steps`` (which, not the actor's part, is what lets late dopamine's walk end
  sure) it closes 87% and 89% (0.934 and 0.902), holds the late-DA row, and fails 3 of 162 quick
  catalogue rows at seeds 0-5 and the test suite's distractor check at noise 0.4
  (docs/open-problems.md).
* **NE surprise** (Yu & Dayan 2005; Nassar et al. 2012; Bouret & Sara 2005): surprise is the
  short running mean of trials' signed prediction error, below zero, in units of its standard
  error (a change point, not bad luck);
  ``NE = sigmoid(k (s - s0))`` raises the learning rate and gain and, on crossing 0.5, resets the
  tags and part of the labile readout weights (network reset): most of the readout's
  state-independent action preference (with two latent contexts, swapped for the other's
  instead: below), less of its stimulus-selective weights, so a false alarm in a stable task
  spares most of what was learned; then it rests for a refractory period.
  After a reset the learning-rate boost outlasts the alarm: a relative uncertainty set to 1
  decays by ``exp(-1 / ne_uncertainty)`` per trial, and the boost follows the larger of it and
  NE (Nassar et al. 2010, 2012: the learning rate stays high after a change point until new
  evidence accumulates; Behrens et al. 2007). With the reset alone the policy, put back near
  indifference, relearned at the base rate: ReversalBandit's last-fifth accuracy 0.66 -> 0.74
  (64 agents, seed 1), trials to criterion 22 -> 18.
  A fall of the reward rate below its recent average (over ``ne_utility`` trials) is surprising
  too, measured the same way and read with the error's surprise by their maximum (task utility:
  Aston-Jones & Cohen 2005, falling utility drives the locus coeruleus toward the tonic,
  exploratory mode). The error signal alone missed about a quarter of the bandit's reversals:
  the critic learned the new, lower value before the error's short mean crossed its threshold,
  and the policy, still sure of the old arm, relearned only by rare exploration (blocks without a
  reset ended at 0.70 correct, those with one at 0.90). With it, 9% are missed; last-fifth
  accuracy 0.74 -> 0.76, 0.73 -> 0.77, 0.70 -> 0.76 (64 agents, seeds 1, 3, 4), every trial
  0.69 -> 0.74.
  **NE relearning** (``ne_relearn``, off by default): the actor's tag ``(onehot(a) - pi) (x) r``
  vanishes as the policy grows sure, so a confident choice that has stopped paying is unlearned
  slowly (the bandit's late-block choice of the better arm stays near 0.90 and recovery after a
  reversal is slow). With ``ne_relearn = k``, at each trial end the actor's bias column also
  captures ``k * max(NE, uncertainty) * (agrel - (onehot(a) - pi))``, with ``agrel`` the hidden
  units' feedback (the chosen action against the others, which does not vanish): after a change
  point the last choice's outcome moves the state-independent preference whatever its
  confidence. ReversalBandit's last fifth 0.784 / 0.764 / 0.785 -> 0.843 / 0.832 / 0.827
  (``k = 1``; 64 agents, seeds 1-3; ``k = 2``: 0.858 / 0.850 / 0.849), the other tasks within
  0.015 of the default or above it (seed 1: CueReward 0.839, WaitForReward 0.908,
  SustainedAttention 0.825, CrossAreaXOR 0.936, DistalReward 0.995). Not the default because it
  weakens the lesions it compensates for (``nmgym reproduce --quick --circuit ne_relearn=1``:
  24 of 27 rows): the ``ach`` circuit's brief hits rise (drop 0.197 -> 0.112, bar 0.15), and the
  ``5ht`` circuit, whose rewarded trials now reinforce waiting at full strength, waits on
  omission trials almost as long as intact (166 vs 177 steps; bar 0.75x). At ``k = 0.5``
  (bandit 0.823, seed 1) 25 of 27 hold: the intact brief hits fall to 0.553 and the ``ach``
  drop to 0.095. Applied at every step
  rather than at trial ends it cost SustainedAttention's correct rejections the catalogue's row
  (0.888 vs ``ach`` 0.828, bar 0.05). Without NE's gating it cost SustainedAttention
  0.826 -> 0.769; through the bias column's eligibility trace, gated, WaitForReward
  0.867 -> 0.534; as the actor's whole tag at every step (bandit 0.838), WaitForReward 0.08 and
  CueReward 0.62 (seed 1).
  What the readouts learn is labile at first and consolidates with time constant ``tau_labile``
  steps (synaptic tagging and capture, Frey & Morris 1997): a behaviour practised for long (a
  90-step wait) outlives a reset that a recent choice (a bandit arm) does not.
  **Latent contexts** (``ne_contexts=2``, the default): the reset can also be a switch of hidden
  state (Dayan & Yu 2006: phasic NE as an interrupt that resets the current state; Wilson et al.
  2014: orbitofrontal cortex as a map of the task's hidden states). The readouts' labile bias, their
  state-independent preference and value, is set aside for the context left, and the other context's
  comes back: zero at the first switch, then what was learned the last time that context held. The
  consolidated weights are shared, and the selective columns are reset as with one context. A stored
  context comes back only where it explains the recent outcomes better than the present one by
  ``ne_context_margin`` (Collins & Koechlin 2012: after a change point a stored task set is
  retrieved only if it is reliable, otherwise a new one is formed): each context's fit is the short
  running mean (over ``ne_short`` trials) of the trial's summed prediction error times the advantage
  its labile bias gives the choice made; elsewhere the reset cuts as with one context. After a
  reset the choice stays open: while the relative uncertainty is above ``ne_context_recheck``
  (0.5, about seven trials), a trial end where the stored context explains the recent outcomes
  better by the margin is a reset of its own, refractory period or not (none with
  ``ne_uncertainty=0``), so a switch made on a run of bad luck can be undone before the
  refractory period ends (Collins & Koechlin 2012 keep monitoring the task sets after a switch).
  ReversalBandit, ``nmgym train --agents 64 --seed S`` with ``--circuit ne_context_recheck=1``
  (only the alarm switches; bitwise the previous circuit) / default, seeds 1-5: 0.861 / 0.853 /
  0.860 / 0.860 / 0.870 -> 0.881 / 0.876 / 0.881 / 0.879 / 0.875; the other tasks unchanged at
  seed 1. The figures below were measured without the recheck. Where regimes
  alternate, as the bandit's arms do, a detected change point brings back the arm that paid before,
  so recovery speeds up from reversal to reversal (serial reversal learning; Mackintosh et al.
  1968): on the first ten trials of a block, 0.16 correct after the first reversal and 0.54 after
  the 6th-9th (one context: 0.32; 32 agents, seed 5, the test's run). At the bandit's resets the
  stored fit beats the present one by a median of 0.85, and 76% of them swap (79% in a block's first
  15 trials, 69% in its last 25); in SustainedAttention, a stable task, no reset swaps: the two fits
  differ by less than 0.07 at 92% of its resets (64 agents, seed 1, the table's protocols). Last
  fifth, ``nmgym train ReversalBandit --agents 64 --seed S --circuit ne_contexts=1`` / default,
  seeds 1-3, an AVX512 host: 0.784 / 0.764 / 0.785 -> 0.861 / 0.853 / 0.860; seed 1 on the other
  tasks: CueReward 0.901 -> 0.901, DistalReward 0.995 -> 0.995, SustainedAttention 0.825 -> 0.828,
  WaitForReward 0.848 -> 0.848, CrossAreaXOR 0.950 -> 0.950. Every reset swapped first (no margin,
  no fit): the bandit 0.852 / 0.854 / 0.861 and WaitForReward and CrossAreaXOR gained too (0.848 /
  0.833 / 0.872 -> 0.892 / 0.857 / 0.901; 0.950 / 0.938 / 0.927 -> 0.968 / 0.974 / 0.940), but in a
  stable task a false alarm brought back a stale bias instead of cutting the present one, and it
  moved SustainedAttention's ACh rows, which sit at their bars, the wrong way: ``nmgym reproduce
  --quick`` held 25, 26, 24 and 25 of 27 rows at seeds 0-3 (one context 26, 26, 26, 24), and at
  noise 0.4 the ``ach`` circuit's brief hits dropped by 0.149 (bar 0.15) in
  ``tests/test_effects.py``'s run. With the fit and a margin of 0 (swap where the stored fit is
  better at all), half of SustainedAttention's resets still swapped: 26 of 27 at seeds 0-3, but at
  noise 0.4 the intact brief hits fell to 0.479 (bar 0.5). With the margin (0.2; 0.1 left the
  ``ach`` circuit's drop at 0.1499 there) the quick catalogue holds 26, 26, 26 and 24 rows,
  SustainedAttention's rows bitwise as with one context at seed 0, and the bandit's trials to
  criterion fall from 17.5 to 13.5.
* **Policy compression** (Tishby & Polani 2011; Lai & Gershman 2021): each step the actor
  descends the information cost of its policy, ``KL(pi || p)`` with ``p`` the running marginal
  of the policy over the last few steps (the agent's default action distribution), at rate
  ``policy_compression``, through the stimulus-selective weights only. A stimulus-specific
  preference costs information, so one the outcomes no longer pay for relaxes toward the
  default and is explored again. A softmax saturated on a wrong choice gets no policy
  gradient and, once the critic predicts the failure, no error either: XOR's linear 75%-correct
  solution would otherwise be kept for good. A state-independent habit (holding through a
  90-step wait, a bandit arm just learned) is the default itself and costs nothing, so the
  policy still saturates there. Off by default: measured when the actor still read the input
  directly, at 0.1 XOR's stuck agents escaped (median accuracy at 2000 trials 0.75 -> 0.97), but
  CueReward's go rate on the non-target cues rose (0.18 -> 0.27, past the catalogue's 0.2) and
  DistalReward's accuracy fell (0.99 -> 0.94). The actor reading the areas only, with the
  chosen action's feedback, now frees most of XOR's stuck agents without that cost.
* **Whitened actor** (``actor_whitening``, off by default; the natural gradient, Amari 1998,
  Kakade 2002; a recursive-least-squares readout as in FORCE learning, Sussillo & Abbott 2009).
  The actor's presynaptic factor ``R`` (the readout minus its running mean over every step) is,
  at a response step, half what every trial shares there (SustainedAttention, seed 1:
  ``scripts/readout_probe.py``), so normalised LMS moves the policy mostly along that one
  direction, and a linear probe of the same state decodes the answer better than the policy does
  (0.906 against 0.861 greedy). With ``actor_whitening = k`` the tag's stimulus-selective columns
  ``E_s`` are captured as ``E_s P`` at rate ``lr_actor * k / (1 + R^T P R)``, ``P`` the inverse
  covariance of ``R`` given the bias input (the running second moment of ``[R, 1]`` at
  ``covariance_rate`` plus ``actor_whitening_floor`` on its diagonal, its selective block
  inverted); the bias column learns as before. At ``k = 0.5`` (``nmgym train``, 64 agents,
  seeds 1-3, the last fifth) CrossAreaXOR 0.958 / 0.928 / 0.919 -> 0.993 / 0.993 / 0.993,
  WaitForReward 0.822 / 0.876 / 0.809 -> 0.887 / 0.866 / 0.866, CueReward 0.891 / 0.882 / 0.878
  -> 0.890 / 0.898 / 0.898, ReversalBandit 0.861 / 0.853 / 0.860 -> 0.874 / 0.862 / 0.860,
  DistalReward 0.996 / 0.995 / 0.987 -> 0.991 / 0.989 / 0.990, SustainedAttention (no
  distractor) 0.854 / 0.853 / 0.853 -> 0.835 / 0.860 / 0.851: there the features set the limit
  too. Off by default for its cost (a Cholesky factorisation per agent and step) and the
  catalogue's ``ach`` hit row (docs/open-problems.md#features-or-readout).
* **5-HT patience** (Miyazaki et al. 2014; Schweighofer et al. 2008): the discount horizon, the
  capture threshold and the damping of cross-area coupling.
  **Pavlovian inhibition** (Dayan & Huys 2008; Crockett et al. 2009, where depleting serotonin
  abolished punishment-induced inhibition; Guitart-Masip et al. 2012): where the task has a go
  action (a go/no-go task's: CueReward, CrossAreaXOR; WaitForReward's leaving), its logit gains
  ``pavlovian * 5-HT * min(V, 0)``, so a state whose value predicts a loss holds the agent back.
  On CueReward a minority of agents grew sure of going on a non-target cue: their critic had
  learned that going there costs (DA at its onset about -0.2), but the actor's tag
  ``onehot - pi`` vanished, they rarely withheld, and so never learned that withholding pays.
  Held back by the predicted loss itself, they withhold and learn: last fifth 0.829 / 0.787 /
  0.840 -> 0.901 / 0.898 / 0.919 (``pavlovian`` 0 -> 30; seeds 1-3, 64 agents, ``nmgym train
  CueReward``, on an AVX512 host), stuck agents 9 / 10 / 5 -> 0 / 2 / 1
  (``scripts/cue_reward_stuck.py``); at 10, 0.873 / 0.878 / 0.874; at 100, 0.904 / 0.914 / 0.911.
  CrossAreaXOR, whose rewards are never negative, stays at 0.950. A Pavlovian approach bias as
  well (``+ k V`` for a predicted gain too) raised CueReward to 0.932 / 0.943 / 0.949 (k = 10) but
  cost CrossAreaXOR 0.950 -> 0.892: there withholding is rewarded too, so the value predicts a
  gain on no-go trials and pushes toward going. The ``5ht`` lesion removes the inhibition.
  **Persistence of withholding** (``action_persistence``, 1; Soubrie 1986, serotonin's behavioural
  inhibition; Miyazaki et al. 2014 and Fonseca et al. 2015, where 5-HT promoted waiting; Lottem et
  al. 2018, where it promoted persisting in foraging): where the task has a go action, the logit of
  the trial's last action, if it was not go, gains ``action_persistence * 5-HT``, released as an
  input rises past ``action_persistence_release`` (0.5) standard deviations (an event, read by a
  sigmoid of slope ``action_persistence_slope``, 8); the last action is forgotten at a trial's end.
  A choice kernel, temporally extended exploration (Dabney, Ostrovski & Barreto 2021), of
  withholding only: going is not persisted, and a task without a go action has none. WaitForReward's
  go action is leaving, so both 5-HT terms act there: its critic's values a little below zero no
  longer pay for leaving, and an agent at even odds holds long enough to be rewarded. Its stuck
  agents (``scripts/wait_for_reward_stuck.py``; 2-4 of 64 never rewarded and 1-6 that stopped
  waiting without either term) fall to none never rewarded and 0-1 that stopped (seeds 1-3):
  WaitForReward 0.822 / 0.876 / 0.809 / 0.882 / 0.889 -> 0.941 / 0.930 / 0.954 / 0.915 / 0.945
  (``nmgym train``, 64 agents, seeds 1-5; the inhibition alone 0.898 / 0.859 / 0.850 / 0.880 /
  0.873). CueReward and CrossAreaXOR, whose go cue releases the persistence at the decision, do not
  move beyond the seeds' spread (means over seeds 1-8 and 1-6: 0.880 -> 0.877, 0.940 -> 0.944).
  Released at 1 standard deviation instead, CrossAreaXOR's go cue (its inputs alternate every step)
  left half of it at the decision and slowed learning. A persistence of every action (the first
  version) cost SustainedAttention 0.015, whose choices before the response persisted
  (docs/open-problems.md#waitforreward).

A lesion (:mod:`nmgym.circuit.lesion`) changes only the levels it names. Everything is a batched
tensor op: no Python loop over agents and no host-device sync. On the CPU, where reading a value
costs no wait, the eager circuit skips what changes only at a trial's end or an NE reset on steps
without one (NE's level is held between trial ends): at small batches a step's cost is the number
of its operations. This module holds the circuit's state and the order of a step; its kernels
live beside it, one module a part: :mod:`~nmgym.circuit.dynamics` (the areas' step),
:mod:`~nmgym.circuit.learning` (tags and capture of the readouts, the hidden tags' factors),
:mod:`~nmgym.circuit.plasticity` (the in-place tag and capture), the modulators'
(:mod:`~nmgym.circuit.acetylcholine`, :mod:`~nmgym.circuit.noradrenaline`,
:mod:`~nmgym.circuit.serotonin`; dopamine's TD error is the step's own) and
:mod:`~nmgym.circuit.expectations` (running and trial-locked means).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from nmgym import counter_rng
from nmgym.circuit.acetylcholine import (
    accumulated_rise,
    attention_gain,
    cholinergic_transient,
    input_relevance,
    persistent_activity,
    relevance_ratio,
    salience_competition,
    sensory_rise,
    unpredicted_rise,
)
from nmgym.circuit.dynamics import forward_step, readout_outputs
from nmgym.circuit.expectations import TrialLockedMean
from nmgym.circuit.learning import (
    capture_readouts,
    chosen_feedback,
    compress_policy,
    hidden_tag_factors,
    readout_tags,
    track_whitening,
    whiten_tags,
)
from nmgym.circuit.lesion import Lesion, Modulation, parse_lesion
from nmgym.circuit.noradrenaline import move_context_fit, move_shortfall, reset_labile, shortfall_surprise
from nmgym.circuit.params import CircuitParams
from nmgym.circuit.plasticity import capture, capture_and_tag, capture_and_tag_fusible
from nmgym.circuit.serotonin import action_persistence
from nmgym.compiled import compiled_if, skips_idle_work
from nmgym.validation import check_device, check_flag, check_integer

# The circuit's counter-based random streams: its initial weights and the action (14, the areas'
# noise, is drawn in dynamics.py).
_INIT_IN, _INIT_LOC, _INIT_LR, _ACTION = 11, 12, 13, 15
LEVELS = ("da", "ne", "ach", "5ht")


def _check_shape(
    value: object, name: str, shape: tuple[int, ...], owner: str = "Circuit", dtype: torch.dtype | None = None
) -> None:
    """A clear error for an argument of the wrong type, shape or (if given) dtype (no device sync:
    these are host data; a wrong dtype is a ``TypeError``, as the tasks' is)."""
    if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(f"{owner}: {name} must be a tensor of shape {shape}; got {got}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(f"{owner}: {name} must be a {dtype} tensor; got {value.dtype}")


def _check_values(bad: torch.Tensor, name: str, what: str, owner: str) -> None:
    """Refuse an argument whose agents' entries ``bad`` (``[B, ...]``, bool) flag (one device sync)."""
    if bool(bad.any()):
        agents = bad.reshape(len(bad), -1).any(-1).nonzero().flatten().tolist()
        more = ", ..." if len(agents) > 10 else ""
        raise ValueError(
            f"{owner}: {name} {what} (agents {', '.join(map(str, agents[:10]))}{more}); the circuit is unchanged"
        )


def modulate(level: torch.Tensor, mod: Modulation) -> torch.Tensor:
    """A modulator's level after a lesion: clamped, or scaled (delays are applied by the caller)."""
    if mod.clamp is not None:
        return torch.full_like(level, mod.clamp)
    return level * mod.scale if mod.scale != 1.0 else level


class Circuit:
    """A batch of neuromodulated plastic networks.

    Args:
        num_agents: batch size ``B``; each agent has its own weights, traces and modulators.
        n_inputs: observation width ``D`` (a constant bias input is added inside).
        n_actions: number of discrete actions.
        params: :class:`CircuitParams` (defaults if omitted).
        lesion: a lesion spec (``"da"``, ``"ne=0.3+longrange"``, ...) or a parsed :class:`Lesion`.
        input_areas: bool ``[n_areas, n_inputs]``: which area receives which input (all by default).
        device, dtype: where the tensors live (float32 by default).
        seed, agent_offset: counter-based randomness per agent, as in the tasks.
        record: keep the per-step modulator levels in :attr:`levels` (for plots).
        compile: run the step through ``torch.compile`` (one fused pass over each weight and
            trace; falls back to eager kernels where compiling fails). Results agree with the
            eager kernels to float rounding, not bitwise.
        trace_dtype: storage of the eligibility traces (default: ``dtype``). ``torch.bfloat16``
            halves their bytes (the update is computed in ``dtype`` and rounded when stored).
        go_action: the task's active response (go in a go/no-go task, leaving in WaitForReward),
            whose logit 5-HT's Pavlovian inhibition lowers where the critic predicts a loss and
            against which withholding persists (None: neither acts).
        check_inputs: refuse, with the circuit unchanged, a NaN or infinite input, reward or
            stimulation and an action out of range. Each check reads its tensor's values: a
            device sync per step on a GPU. :class:`~agents.PlasticAgent` and the circuit envs
            switch it off: a task's inputs are finite by construction, a Gymnasium env's
            observations and rewards and a controller's stimulation are checked as they enter.

    Use: ``probs = forward(x)``; ``a = act()``; step the world; ``forward(x_next, reset=boundary)``;
    ``learn(reward, terminated, boundary)``. ``stimulate(levels)`` adds external stimulation to
    the four modulators (a neuromodulation controller's action; off by default).
    """

    def __init__(
        self,
        num_agents: int,
        n_inputs: int,
        n_actions: int,
        params: CircuitParams | None = None,
        lesion: str | Lesion | None = None,
        *,
        input_areas: torch.Tensor | None = None,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        seed: int = 0,
        agent_offset: int = 0,
        record: bool = False,
        compile: bool = False,
        trace_dtype: torch.dtype | None = None,
        go_action: int | None = None,
        check_inputs: bool = True,
    ) -> None:
        num_agents = check_integer(num_agents, "num_agents", owner="Circuit", low=1)
        n_inputs = check_integer(n_inputs, "n_inputs", owner="Circuit", low=1)
        n_actions = check_integer(n_actions, "n_actions", owner="Circuit", low=2)
        seed = check_integer(seed, "seed", owner="Circuit", low=0)
        agent_offset = check_integer(agent_offset, "agent_offset", owner="Circuit", low=0)
        record = check_flag(record, "record", owner="Circuit")
        self.check_inputs = check_flag(check_inputs, "check_inputs", owner="Circuit")
        compile = check_flag(compile, "compile", owner="Circuit")
        for name, kind in (("dtype", dtype), ("trace_dtype", trace_dtype or dtype)):
            if not (isinstance(kind, torch.dtype) and kind.is_floating_point):
                raise ValueError(f"Circuit: {name}={kind!r} is not allowed; {name} must be a floating torch dtype")
        self.p = p = CircuitParams.given(params, "Circuit", example="beta=2.0")
        self.lesion = parse_lesion(lesion)
        self.device, self.dtype = check_device(device), dtype
        B, K, N, D, A = num_agents, p.n_areas, p.units, n_inputs + 1, n_actions
        self.B, self.K, self.N, self.D, self.A = B, K, N, D, A
        if go_action is not None:
            go_action = check_integer(go_action, "go_action", owner="Circuit", low=0, high=A - 1)
        self.go_action = go_action
        # Built once on the device: stimulate() rebuilds the inhibition at every step of a circuit env.
        self._go = None if go_action is None else torch.eye(A, device=self.device, dtype=dtype)[go_action]
        self.record = record
        self.levels: dict[str, list[torch.Tensor]] = {name: [] for name in LEVELS}
        kw: dict[str, Any] = {"device": self.device, "dtype": dtype}

        if input_areas is None:
            input_areas = torch.ones(K, n_inputs, dtype=torch.bool)
        if input_areas.shape != (K, n_inputs):
            raise ValueError(f"Circuit: input_areas must have shape ({K}, {n_inputs}); got {tuple(input_areas.shape)}")
        with_bias = torch.cat([input_areas.to(self.device), torch.ones(K, 1, dtype=torch.bool, device=self.device)], 1)
        in_mask = with_bias.repeat_interleave(N, dim=0).to(dtype)  # [K*N, D]

        agents = torch.arange(agent_offset, agent_offset + B, device=self.device)
        self.key = counter_rng.agent_keys(seed, agents)
        self.steps = torch.zeros(B, dtype=torch.int64, device=self.device)
        self._counter_keys: torch.Tensor | None = None  # counter_key at ``steps``, from forward() to act()
        zero = torch.zeros(B, dtype=torch.int64, device=self.device)

        def init(stream: int, shape: tuple[int, ...], std: float) -> torch.Tensor:
            size, piece = math.prod(shape), 256  # drawn in pieces: the hash's temporaries stay small
            weight = torch.empty(B, size, **kw)
            for start in range(0, size, piece):
                stop = min(start + piece, size)
                weight[:, start:stop] = counter_rng.normal(self.key, zero, stream, size, start, stop) * std
            return weight.view(B, *shape)

        fan_in = in_mask.sum(1).clamp(min=1)  # per hidden unit
        W_in = init(_INIT_IN, (K * N, D), 1.0) * (p.input_scale / fan_in.sqrt()).unsqueeze(-1) * in_mask
        # The input projection is stored input-major, [B, D, K*N] (W_in is its [B, K*N, D] view):
        # with only a few inputs, rows of K*N units are what vectorises.
        self._W_in_t = W_in.mT.contiguous()
        self._in_mask_t = in_mask.mT.contiguous()
        self._W_loc = init(_INIT_LOC, (K, N, N), p.recurrent_scale / math.sqrt(N))
        self._W_lr = init(_INIT_LR, (K, N, (K - 1) * N), 1.0 / math.sqrt(max((K - 1) * N, 1)))
        # Persistent units (one per input channel; none with ach_persistence=0), what of each
        # one's content the next step keeps (a transient on another channel releases it), and
        # each channel's rise accumulated over the trial (their bottom-up route).
        M = D - 1 if p.ach_persistence > 0 else 0
        self.memory = torch.zeros(B, M, **kw) if M else None
        self.memory_keep = torch.ones(B, M, **kw)  # empty without them
        self.evidence = torch.zeros(B, M if p.persistence_bound > 0 else 0, **kw)
        self.W_pi = torch.zeros(B, A, K * N + M + D, **kw)  # readouts see [h, m, g x]
        self.W_v = torch.zeros(B, 1, K * N + M + D, **kw)
        # Their labile part: what learning added and has not consolidated yet (NE resets only this).
        self.L_pi, self.L_v = torch.zeros_like(self.W_pi), torch.zeros_like(self.W_v)
        self.labile_keep = math.exp(-1.0 / p.tau_labile)
        # Two latent contexts (``ne_contexts=2``; None with one): the other one's labile bias, which
        # a reset may swap in, which context each agent is in, how well each context's bias has
        # explained recent outcomes ([current, stored]) and the last choice, which that is read on.
        self.stored_pi = self.stored_v = self.context = self.context_fit = self.last_choice = None
        if p.ne_contexts == 2:
            self.stored_pi, self.stored_v = torch.zeros(B, A, **kw), torch.zeros(B, 1, **kw)
            self.context = torch.zeros(B, dtype=torch.int64, device=self.device)
            self.context_fit, self.last_choice = torch.zeros(B, 2, **kw), torch.zeros(B, A, **kw)
        trace_dtype = trace_dtype or dtype
        self._E_in_t, self.E_loc, self.E_lr = (
            torch.zeros_like(w, dtype=trace_dtype) for w in (self._W_in_t, self._W_loc, self._W_lr)
        )
        # The hidden projections capture lazily: learn() leaves its rates pending and the next act()
        # captures and tags in one pass over each weight and trace. Reading W_in, W_loc or W_lr
        # (or calling settle()) applies what is pending, so from outside capture looks immediate.
        self._pending: tuple[torch.Tensor, ...] | None = None
        self.compiled = compile
        # Compiled: the forward step, the readout tags, each projection's capture and tag, and the
        # inputs' relevance become a few fused loops; eager, the same functions run op by op.
        self._capture_and_tag = compiled_if(compile, capture_and_tag_fusible, capture_and_tag)
        self._forward = compiled_if(compile, forward_step)
        self._readout_tags = compiled_if(compile, readout_tags)
        self._capture_readouts = compiled_if(compile, capture_readouts)
        self._reset_labile = compiled_if(compile, reset_labile)
        # What changes only at a trial's end or an NE reset is skipped on steps without one.
        self._skip_idle = skips_idle_work(self.device, compile)
        self._outputs = compiled_if(compile, readout_outputs)
        self._hidden_tag_factors = compiled_if(compile, hidden_tag_factors)
        self._compress_policy = compiled_if(compile, compress_policy)
        # Eagerly, relevance goes into a scratch buffer: a fresh large temporary each step costs page
        # faults. A compiled circuit holds none (its eager fallback, if compiling fails, goes without).
        scratch = None if compile else torch.empty_like(self._W_in_t)

        def relevance_eager(w: torch.Tensor, w0: torch.Tensor) -> torch.Tensor:
            return input_relevance(w, w0, out=scratch)

        self._relevance = compiled_if(compile, input_relevance, relevance_eager)
        self.E_pi, self.E_v = (torch.zeros_like(w, dtype=trace_dtype) for w in (self.W_pi, self.W_v))
        # Area k's long-range input: the other areas' units, in order.
        self.others = torch.tensor([[j for j in range(K) if j != k] for k in range(K)], device=self.device).long()
        self.leak = torch.logspace(math.log10(p.leak_min), math.log10(p.leak_max), N, **kw).expand(K, N)

        self.h = torch.zeros(B, K, N, **kw)
        self._actor_mask = None  # the readout inputs the actor learns from (None: all)
        if not p.actor_input:
            self._actor_mask = torch.ones(K * N + M + D, **kw)
            self._actor_mask[K * N + M : -1] = 0.0
        self.tag_decay = math.exp(-1.0 / (p.tau_tag * self.lesion.tags)) if p.tau_tag * self.lesion.tags > 0 else 0.0
        self.keep = torch.ones(B, **kw)  # 0 where tags are wiped before the next tag
        self.value = torch.zeros(B, **kw)
        self.value_prev = torch.zeros(B, **kw)
        self.readout_norm = torch.ones(B, 2, **kw)  # the actor's and the critic's
        self.readout_mean = torch.zeros(B, K * N + M + D, **kw)
        self.policy_mean = torch.full((B, A), 1.0 / A, **kw)  # the running marginal policy
        # Whitening of the actor's stimulus-selective inputs (the areas' and the persistent units',
        # or the whole readout's with actor_input) and the bias: their running second moment,
        # from an identity prior.
        self._selective = K * N + M + (D - 1 if p.actor_input else 0)
        self.actor_moment = (
            torch.eye(self._selective + 1, **kw).expand(B, -1, -1).clone() if p.actor_whitening > 0 else None
        )
        self._whitening: tuple[torch.Tensor, torch.Tensor] | None = None
        self.input_mean = torch.zeros(B, D, **kw)
        self.h_mean = torch.zeros(B, K, N, **kw)
        # The trial-locked expectations of the input and the readout, and each agent's step of the
        # trial (-1: before the first input).
        T, rate = p.trial_locked_steps, p.trial_locked_rate
        hidden, actor = p.trial_locked_parts
        sensory = p.ach_trial_locked_steps > 0 and p.ach_transient > 0
        self.trial_step = (
            torch.full((B,), -1, dtype=torch.int64, device=self.device) if hidden or actor or sensory else None
        )
        self.expected_input = TrialLockedMean(B, T, D, rate, **kw) if hidden else None
        self.expected_readout = TrialLockedMean(B, T, K * N + M + D, rate, **kw) if actor else None
        # modulator state
        self.ne = torch.zeros(B, **kw)
        self.ne_short = torch.zeros(B, **kw)
        self.ne_var = torch.full((B,), 0.25, **kw)
        self.trial_delta = torch.zeros(B, **kw)
        # NE's second signal: the trial's reward against its recent average (task utility).
        self.trial_reward = torch.zeros(B, **kw)
        self.reward_rate = torch.zeros(B, **kw)
        self.utility_short = torch.zeros(B, **kw)
        self.utility_var = torch.full((B,), 0.25, **kw)
        self.refractory = torch.zeros(B, dtype=torch.int64, device=self.device)
        self.uncertainty = torch.zeros(B, **kw)  # relative uncertainty after a reset: 1, then fading
        self.uncertainty_keep = math.exp(-1.0 / p.ne_uncertainty) if p.ne_uncertainty > 0 else 0.0
        self.relearn_feedback = torch.zeros(B, A, **kw)  # the last choice's, for NE's relearning
        # 5-HT's persistence of withholding (none without a go action): which actions persist, the
        # trial's last action where it was one of them (one-hot), and its logit bias this step.
        self._withholding = None if self._go is None or p.action_persistence == 0 else 1.0 - self._go
        self.persisting = None if self._withholding is None else torch.zeros(B, A, **kw)
        self.persistence: torch.Tensor | None = None
        self._W_in_initial_t = self._W_in_t.clone()  # relevance: how far plasticity moved each input's synapses
        self.relevance = torch.zeros(B, D - 1, **kw)
        self.gain = torch.ones(B, D - 1, **kw)
        # The inputs' running statistics, for phasic ACh (``ach_transient > 0``) and for the competition
        # that lowered ACh releases, and the last transient. A lesion scales the transient with the
        # tonic level; a clamp leaves no phasic signal.
        self.sensory_mean = torch.zeros(B, D - 1, **kw)
        self.sensory_var = torch.ones(B, D - 1, **kw)
        self.sensory_seen = torch.zeros(B, **kw)  # inputs seen: the mean is exact until 1 / rate
        self.ach_phasic = torch.zeros(B, **kw)
        # The inputs expected at each step of a trial, for what of a rise relevance amplifies.
        self.expected_sensory = (
            TrialLockedMean(B, p.ach_trial_locked_steps, D - 1, p.covariance_rate, **kw) if sensory else None
        )
        self._no_boost = torch.ones(B, 1, **kw)
        self._phasic_scale = 0.0 if self.lesion.ach.clamp is not None else self.lesion.ach.scale
        self.ach_tonic = self.ach = modulate(torch.ones(B, **kw), self.lesion.ach)
        self._ach_lowered = bool((self.ach_tonic < 1).any())  # once, at construction: no sync in a step
        self.sht_tonic = self.sht = modulate(torch.ones(B, **kw), self.lesion.sht)
        self._set_tonic_effects()
        # External stimulation per channel (da, ne, ach, 5ht), set by :meth:`stimulate`; while
        # ``stimulated`` is False no stimulation term is computed at all.
        self.stimulation = torch.zeros(B, len(LEVELS), **kw)
        self.stimulated = False
        self.da_delay = self.lesion.da.delay
        self.da_queue = torch.zeros(self.da_delay + 1, B, **kw)
        self._tick = 0  # position in the dopamine delay line (a Python int: no sync)
        self.ne_delay = self.lesion.ne.delay
        self.ne_queue = torch.zeros(self.ne_delay + 1, B, **kw)
        self._ne_held = False  # whether learn() may keep NE's level and boost (see there)
        self._surprised, self._ne_boost = torch.zeros(B, **kw), torch.ones(B, **kw)

    def _set_tonic_effects(self) -> None:
        """Discount (5-HT) and long-range coupling (ACh up, 5-HT damping) from the current levels."""
        p = self.p
        horizon = p.horizon_min + (p.horizon_max - p.horizon_min) * self.sht.clamp(0.0, None)
        self.gamma = 1.0 - 1.0 / horizon
        c = p.longrange_scale * self.lesion.longrange * (1 + p.ach_coupling * (self.ach - 1))
        self.coupling = (c / (1 + p.sht_coupling * (self.sht - 1))).clamp(min=0.0)
        self.inhibition = None  # Pavlovian inhibition of going where a loss is predicted
        if self._go is not None and p.pavlovian > 0:
            self.inhibition = p.pavlovian * self.sht.unsqueeze(-1) * self._go

    # ------------------------------------------------------------------ stimulation
    def stimulate(self, levels: torch.Tensor | None) -> None:
        """Add external stimulation ``levels`` (``[B, 4]``: da, ne, ach, 5ht) to the modulators.

        DA: added to the dopamine signal (after the lesion and its delay) in :meth:`learn`.
        NE: added to the NE level, clamped to ``[0, 1]``, as each :meth:`learn` sets it (it sets
        the learning-rate boost, the reset and, in :meth:`forward`, the gain). ACh and 5-HT: added
        to their tonic (post-lesion) levels at once, clamped at 0; the new levels set the input
        gain, the coupling, the discount and the capture threshold. The stimulation holds until
        the next call; ``None`` switches it off (no stimulation term is computed when off).
        """
        if levels is not None:
            _check_shape(levels, "levels", (self.B, len(LEVELS)), "Circuit.stimulate")
            if self.check_inputs:
                _check_values(~torch.isfinite(levels), "levels", "holds NaN or infinity", "Circuit.stimulate")
        self.settle()
        self._ne_held = False  # the NE level includes the stimulation
        if levels is None:
            self.stimulation = torch.zeros_like(self.stimulation)
            self.stimulated = False
            self.ach, self.sht = self.ach_tonic, self.sht_tonic
        else:
            self.stimulation = levels.to(device=self.device, dtype=self.dtype)
            self.stimulated = True
            self.ach = (self.ach_tonic + self.stimulation[:, 2]).clamp(min=0.0)
            self.sht = (self.sht_tonic + self.stimulation[:, 3]).clamp(min=0.0)
        self._set_tonic_effects()
        self.gain = attention_gain(self.relevance, self.ach, self.p.ach_attention)

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor, reset: torch.Tensor | None = None) -> torch.Tensor:
        """Advance the network on input ``x`` (``[B, n_inputs]``); return the policy ``[B, A]``.

        ``reset`` (bool ``[B]``) zeroes those agents' activity first (a new trial).
        """
        p, B = self.p, self.B
        _check_shape(x, "x", (B, self.D - 1))
        if reset is not None:
            _check_shape(reset, "reset", (B,), dtype=torch.bool)
        if self.check_inputs:
            _check_values(~torch.isfinite(x), "x", "holds NaN or infinity", "Circuit")
        self.settle()  # a no-op inside the agent loop, where act() has captured already
        if reset is not None:
            kept = (~reset).to(self.dtype).view(B, 1)
            self.h.mul_(kept.unsqueeze(-1))
            if self.memory is not None:
                self.memory.mul_(kept)
                self.evidence.mul_(kept)
            if self.persisting is not None:
                self.persisting.mul_(kept)
        if self.trial_step is not None:
            self.trial_step.add_(1)
            if reset is not None:
                self.trial_step.masked_fill_(reset, 0)
        h_prev = self.h
        x = x.to(self.dtype)
        boost, input_gain = self._no_boost, self.gain
        phasic = p.ach_transient > 0 and self._phasic_scale > 0
        compete = p.ach_competition > 0 and (self._ach_lowered or self.stimulated)  # at full ACh the divisor is 1
        units = self.memory is not None
        if phasic or compete or units or self.persisting is not None:
            rise = sensory_rise(x, self.sensory_mean, self.sensory_var, self.sensory_seen, p.covariance_rate)
        if phasic or compete:
            ratio = relevance_ratio(self.relevance)  # once, for both
        if compete:
            competition = salience_competition(rise, ratio, self.ach, p.ach_competition, p.ach_competition_threshold)
            input_gain = self.gain / competition
        if phasic:
            # Per channel ([B, D]) where the boost or the persistent units need it; the level
            # recorded (and every channel's boost, without ach_transient_per_channel) is the largest.
            per_channel = p.ach_transient_per_channel or units
            unpredicted = None
            if self.expected_sensory is not None:
                assert self.trial_step is not None
                expected = self.expected_sensory.update(self.trial_step, x)
                unpredicted = unpredicted_rise(x, rise, self.sensory_mean, expected)
            transient = self._phasic_scale * cholinergic_transient(
                rise, ratio, p.ach_transient_slope, p.ach_transient_threshold, per_channel, unpredicted
            )
            self.ach_phasic = transient.amax(-1) if per_channel else transient
            boost = 1.0 + p.ach_transient * (
                transient if p.ach_transient_per_channel else self.ach_phasic.unsqueeze(-1)
            )
        if self.memory is not None:
            crossed = None
            if p.persistence_bound > 0:
                self.evidence, crossed = accumulated_rise(
                    self.evidence, rise, p.persistence_retention, p.persistence_bound, p.persistence_slope
                )
            self.memory, self.memory_keep = persistent_activity(
                self.memory, self.memory_keep, transient if phasic else None, input_gain * x, p.ach_persistence, crossed
            )
        if self.persisting is not None:
            self.persistence = action_persistence(
                self.persisting,
                rise,
                self.sht,
                p.action_persistence,
                p.action_persistence_release,
                p.action_persistence_slope,
            )
        weights = (self._W_in_t, self._W_loc, self._W_lr, self.W_pi, self.W_v)
        # This step's draws (the areas' noise here, the action in act()) hash the counter once.
        self._counter_keys = counter_rng.counter_key(self.key, self.steps)
        self.h, z, gx, h_other, gain, self.readout, self.probs, value = self._forward(
            h_prev,
            x,
            input_gain,
            boost,
            *weights,
            self.coupling,
            self.ne,
            self.leak,
            self.others,
            self._counter_keys,
            p.noise,
            p.ne_gain,
            p.beta,
            self.inhibition,
            self.memory,
            self.persistence,
        )
        self.value_prev, self.value = self.value, value
        self._pre = (gx, h_prev, h_other, z, gain)
        return self.probs

    # ------------------------------------------------------------------ act and tag
    def act(self, action: torch.Tensor | None = None) -> torch.Tensor:
        """Sample an action from the policy (or take ``action``) and set the synaptic tags."""
        K = self.K
        if action is None:
            counter_keys = self._counter_keys
            if counter_keys is None:  # a second act() after one forward(): the counter has moved on
                counter_keys = counter_rng.counter_key(self.key, self.steps)
            u = counter_rng.uniform_from(counter_rng.stream_key(counter_keys, _ACTION)).unsqueeze(-1)
            action = (u > self.probs.cumsum(-1)[:, :-1]).sum(-1)
        else:
            _check_shape(action, "action", (self.B,), dtype=torch.int64)
            if self.check_inputs:
                _check_values((action < 0) | (action >= self.A), "action", f"is outside 0..{self.A - 1}", "Circuit")
        self.steps += 1
        self._counter_keys = None
        gx, h_prev, h_other, z, gain = self._pre
        decay = self.keep * self.tag_decay
        onehot = torch.nn.functional.one_hot(action, self.A).to(self.dtype)
        if self.last_choice is not None:
            self.last_choice = onehot
        if self.persisting is not None:
            assert self._withholding is not None
            torch.mul(onehot, self._withholding, out=self.persisting)  # going is not persisted
        choice = onehot - self.probs
        fed_back = chosen_feedback(onehot, self.probs) if self.p.chosen_feedback else choice
        if self.p.ne_relearn > 0:
            # What the actor's tag misses when the policy is sure: the chosen action against the others
            # (AGREL) minus onehot - pi; added to the bias column's capture after a change point.
            agrel = fed_back if self.p.chosen_feedback else chosen_feedback(onehot, self.probs)
            self.relearn_feedback = agrel - choice
        expected_input = actor_expected = None
        if self.expected_input is not None:
            assert self.trial_step is not None
            expected_input = self.expected_input.update(self.trial_step, gx)
        if self.expected_readout is not None:
            assert self.trial_step is not None
            actor_expected = self.expected_readout.update(self.trial_step, self.readout)
        self.readout_norm, post = self._readout_tags(
            self.readout,
            self.readout_mean,
            self.E_pi,
            self.E_v,
            self.W_pi,
            self.W_v,
            choice,
            fed_back,
            decay,
            z,
            gain,
            self.leak,
            self.p.covariance_rate,
            self.p.critic_feedback,
            self._actor_mask,
            actor_expected,
        )
        if self.actor_moment is not None:
            factor = (self.readout - self.readout_mean)[:, : self._selective]  # as the tag saw it
            self._whitening = track_whitening(
                self.actor_moment, factor, self.p.covariance_rate, self.p.actor_whitening_floor
            )
        if self.p.policy_compression > 0:
            self._compress_policy(
                self.W_pi,
                self.L_pi,
                self.probs,
                self.policy_mean,
                self.readout,
                self.readout_mean,
                self.readout_norm[:, 0],
                self.p.marginal_rate,
                self.p.policy_compression,
                self._actor_mask,
            )
        rates = self._pending or (torch.zeros_like(decay),) * 3
        pre_in, post_in, h_prev, post_loc, h_other, post_lr = self._hidden_tag_factors(
            gx,
            h_prev,
            h_other,
            post,
            self.input_mean,
            self.h_mean,
            self._in_mask_t,
            self.others,
            self.p.covariance_rate,
            self.p.hidden_covariance,
            self.p.hidden_norm,
            expected_input,
        )
        self._capture_and_tag(self._W_in_t, self._E_in_t, rates[0], decay, pre_in, post_in, self._in_mask_t)
        self._capture_and_tag(self._W_loc, self.E_loc, rates[1], decay, post_loc, h_prev)
        if K > 1:
            self._capture_and_tag(self._W_lr, self.E_lr, rates[2], decay, post_lr, h_other)
        if self._pending is not None:
            self._pending = None
            self._attend()
        self.keep = torch.ones_like(self.keep)
        return action

    # ------------------------------------------------------------------ settle
    def settle(self) -> None:
        """Apply the hidden projections' pending capture now (act() otherwise fuses it with the
        next tag). Reading :attr:`W_in`, :attr:`W_loc` or :attr:`W_lr` settles first."""
        if self._pending is None:
            return
        weights, traces = (self._W_in_t, self._W_loc, self._W_lr), (self._E_in_t, self.E_loc, self.E_lr)
        for weight, trace, rate in zip(weights, traces, self._pending, strict=True):
            capture(weight, trace, rate)
        self._pending = None
        self._attend()

    @property
    def W_in(self) -> torch.Tensor:
        """Input weights ``[B, K*N, D]`` (the last column is the bias), settled."""
        self.settle()
        return self._W_in_t.mT

    @property
    def E_in(self) -> torch.Tensor:
        """The input projection's tags ``[B, K*N, D]`` (a view of the input-major storage)."""
        return self._E_in_t.mT

    @property
    def in_mask(self) -> torch.Tensor:
        """Which input reaches which hidden unit, ``[K*N, D]`` (bias last)."""
        return self._in_mask_t.mT

    @property
    def W_loc(self) -> torch.Tensor:
        """Local recurrent weights ``[B, K, N, N]``, settled."""
        self.settle()
        return self._W_loc

    @property
    def W_lr(self) -> torch.Tensor:
        """Long-range weights ``[B, K, N, (K-1)*N]`` (from the other areas' units), settled."""
        self.settle()
        return self._W_lr

    def _attend(self) -> None:
        """ACh: an input's relevance is how far dopamine-gated plasticity has moved its synapses
        onto the areas: the inputs learning has used (alone or in conjunction) are attended."""
        self.relevance = self._relevance(self._W_in_t, self._W_in_initial_t)
        self.gain = attention_gain(self.relevance, self.ach, self.p.ach_attention)

    # ------------------------------------------------------------------ learn
    def learn(self, reward: torch.Tensor, terminated: torch.Tensor, boundary: torch.Tensor | None = None) -> None:
        """Dopamine, the other modulators, and capture, after ``forward`` on the next input.

        ``reward`` is the reward of the step just taken. ``boundary`` marks trial ends: the reward
        prediction is made within a trial (trial-based TD, as in Schultz, Dayan & Montague 1997),
        so neither a trial end nor ``terminated`` bootstraps, and the tags are wiped after this
        capture.
        """
        p, lesion = self.p, self.lesion
        _check_shape(reward, "reward", (self.B,))
        for name, value in (("terminated", terminated), ("boundary", boundary)):
            if value is not None:
                _check_shape(value, name, (self.B,), dtype=torch.bool)
        if self.check_inputs:
            _check_values(~torch.isfinite(reward), "reward", "holds NaN or infinity", "Circuit")
        reward = reward.to(self.dtype)
        stop = terminated if boundary is None else terminated | boundary
        next_value = torch.where(stop, 0.0, self.value)
        delta = reward + self.gamma * next_value - self.value_prev

        # DA: the prediction error, altered and delayed as the lesion says.
        # Phasic firing has a bounded range (Bayer & Glimcher 2005): DA saturates at +-da_range,
        # which also keeps learning bounded when a lesion delays DA past the error it corrects.
        self.da_queue[self._tick % (self.da_delay + 1)] = modulate(delta.clamp(-p.da_range, p.da_range), lesion.da)
        da = self.da_queue[(self._tick - self.da_delay) % (self.da_delay + 1)] if self.da_delay else self.da_queue[0]
        if self.stimulated:
            da = da + self.stimulation[:, 0]
        # NE: surprise = how far the short mean of trials' signed error falls below zero, in units
        # of its standard error (from the long-run variance of trial errors), updated as each trial
        # ends; a trial's summed delta is its outcome against its forecast. Outcomes better than
        # forecast (acquisition) raise no alarm. A fall of the reward rate below its recent
        # average (task utility) is surprising too: it persists after the critic has adapted to a
        # change the error signal missed.
        self.trial_delta += delta
        self.trial_reward += reward
        ended = torch.ones_like(terminated) if boundary is None else boundary
        weight = ended.to(self.dtype)
        any_end = not self._skip_idle or bool(ended.any())  # the running means move only at trial ends
        if any_end:
            if self.context_fit is not None:
                assert self.last_choice is not None and self.stored_pi is not None
                move_context_fit(
                    self.context_fit,
                    self.last_choice,
                    self.trial_delta,
                    self.L_pi[:, :, -1],
                    self.stored_pi,
                    weight,
                    p.ne_short,
                )
            move_shortfall(self.trial_delta, self.ne_short, self.ne_var, weight, p.ne_short, p.ne_long)
            if p.ne_utility > 0:
                shortfall = self.trial_reward - self.reward_rate
                self.reward_rate += weight * shortfall / p.ne_utility
                move_shortfall(shortfall, self.utility_short, self.utility_var, weight, p.ne_short, p.ne_long)
            self.trial_delta = torch.where(ended, 0.0, self.trial_delta)
            self.trial_reward = torch.where(ended, 0.0, self.trial_reward)
        # NE's level and boost move only with the running means, the reset and the uncertainty,
        # which all change at trial ends, and with stimulate(): a step that follows a step without
        # one, and has none itself, keeps them (any_end is always true where nothing is skipped).
        if not self._ne_held or any_end:
            surprise = shortfall_surprise(self.ne_short, self.ne_var, p.ne_short)
            if p.ne_utility > 0:
                surprise = torch.maximum(surprise, shortfall_surprise(self.utility_short, self.utility_var, p.ne_short))
            self.ne_queue[self._tick % (self.ne_delay + 1)] = modulate(
                torch.sigmoid(p.ne_slope * (surprise - p.ne_threshold)), lesion.ne
            )
            self.ne = self.ne_queue[(self._tick - self.ne_delay) % (self.ne_delay + 1)]
            if self.stimulated:
                self.ne = (self.ne + self.stimulation[:, 1]).clamp(0.0, 1.0)
            self._surprised = torch.maximum(self.ne, self.uncertainty)
            self._ne_boost = 1.0 + p.ne_lr_boost * self._surprised
        self._ne_held = not any_end and not self.ne_delay  # a delay line moves the level every step
        self._tick += 1

        # Capture: rate per agent = eta * DA * NE boost, gated by the 5-HT threshold.
        gate = (da.abs() > p.capture_threshold * self.sht).to(self.dtype)
        surprised = self._surprised
        rate = da * self._ne_boost * gate
        relearn = None
        if p.ne_relearn > 0:
            relearn = (p.ne_relearn * surprised * weight).unsqueeze(-1) * self.relearn_feedback
            self.relearn_feedback.zero_()  # the last choice's only (relearn above is a new tensor)
        self.settle()  # a second learn() without act() in between
        if p.hidden_norm:
            self._pending = (rate * p.lr_hidden,) * 3
        else:
            self._pending = (
                rate * (p.lr_hidden / self.D),
                rate * (p.lr_hidden / self.N),
                rate * (p.lr_hidden / max((self.K - 1) * self.N, 1)),
            )

        # NE network reset: on crossing 0.5, wipe the tags and part of the labile readout.
        alarm = (self.ne > 0.5) & (self.refractory == 0)
        better = None  # where the stored context explains the recent outcomes better by the margin
        if self.context_fit is not None:
            better = self.context_fit[:, 1] > self.context_fit[:, 0] + p.ne_context_margin
            if p.ne_context_recheck < 1:
                # While a recent reset leaves the context uncertain, the choice of context stays
                # open: a clearly better stored one is a change point of its own (a wrong switch
                # on a run of bad luck can be undone before the refractory period ends).
                alarm = alarm | ((self.uncertainty > p.ne_context_recheck) & better)
        trigger = alarm & ((p.ne_reset > 0) | (p.ne_reset_selective > 0)) & ended
        E_pi = self.E_pi
        if self._whitening is not None:
            E_pi = whiten_tags(E_pi, *self._whitening, self.readout_norm[:, 0], p.actor_whitening)
        self._capture_readouts(
            self.W_pi,
            self.W_v,
            self.L_pi,
            self.L_v,
            E_pi,
            self.E_v,
            rate,
            self.readout_norm,
            p.lr_actor,
            p.lr_critic,
            self.labile_keep,
            relearn,
        )
        swap = None
        if self.context_fit is not None and better is not None and any_end:
            # A stored context comes back only where it explains the recent outcomes clearly better
            # than the present one (Collins & Koechlin 2012); elsewhere the reset cuts as with one.
            swap = trigger & better
            self.context_fit = torch.where(swap.unsqueeze(-1), self.context_fit.flip(-1), self.context_fit)
        if any_end and (not self._skip_idle or bool(trigger.any())):
            self._reset_labile(
                self.W_pi,
                self.W_v,
                self.L_pi,
                self.L_v,
                self.readout_mean,
                trigger.to(self.dtype),
                p.ne_reset,
                p.ne_reset_selective,
                self.stored_pi,
                self.stored_v,
                swap,
            )
            if self.context is not None and swap is not None:
                self.context = torch.where(swap, 1 - self.context, self.context)
        # What was just learned acts at once: the next action and the next prediction error use the
        # present input's policy and value under the new weights (TD(0) takes both of a step's values
        # from the same weights; a bandit's next choice follows its last outcome and a reset).
        self.probs, self.value = self._outputs(
            self.W_pi, self.W_v, self.readout, p.beta, self.inhibition, self.persistence
        )
        if any_end:
            self.ne_short = torch.where(trigger, 0.0, self.ne_short)
            self.utility_short = torch.where(trigger, 0.0, self.utility_short)
            self.refractory = torch.where(trigger, p.ne_refractory, (self.refractory - weight.long()).clamp(min=0))
            # After a reset the boost outlasts the alarm, decaying trial by trial (relative uncertainty).
            fading = self.uncertainty * (1.0 - weight * (1.0 - self.uncertainty_keep))
            self.uncertainty = torch.where(trigger & (p.ne_uncertainty > 0), 1.0, fading)
        wipe = trigger if boundary is None else trigger | boundary
        self.keep = (~wipe).to(self.dtype)

        if self.record:
            for name, level in zip(LEVELS, (da, self.ne, self.ach + self.ach_phasic, self.sht), strict=True):
                self.levels[name].append(level.clone())

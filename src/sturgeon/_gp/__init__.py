"""Gaussian-process numerics, free of any framework: plain functions over numpy arrays.

* ``transforms``: the output power transform (Yeo-Johnson, then standardize) and the
  Kumaraswamy input warping;
* ``kernel``: the ARD Matern-5/2 kernel, with a Hamming distance on categorical dims;
* ``gp``: marginal-likelihood fitting with priors (L-BFGS-B) and the posterior;
* ``acquisition``: log expected improvement and its gradient;
* ``optim``: acquisition optimization over mixed continuous / ordinal / categorical dims;
* ``trust_region``: the TuRBO-style local box, replayed from the history.

Inputs live in the unit cube (``Distribution.encode``); outputs are MINIMIZED. The sampler
adapter (``sturgeon.samplers._gp``) does the bookkeeping between trials and these arrays.
"""

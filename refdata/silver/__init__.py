"""Silver: bronze observations and corrections turned into bitemporal instrument versions."""

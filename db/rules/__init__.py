"""The campaign's rules: who may see what, the metric definitions, the notice's values, the quarterly scoring."""

"""Designer's workbench: bot Monte-Carlo, golden-transcript runner, watch mode."""

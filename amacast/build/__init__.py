"""The build layer: what changed, what to make, and the one step that publishes it."""

"""One module per scenario, each with `run(**sizes) -> list[Row]`, FULL and TOY sizes."""

"""Values every capability shares: addresses, texts, scripts, Serbian, tokens, the clock."""

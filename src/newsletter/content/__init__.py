"""Campaigns and what they say: typed content, rendering, composing, the campaign library."""

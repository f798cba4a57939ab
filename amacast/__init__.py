"""amacast: publish AMA and interview transcripts as a podcast."""

__version__ = "0.2.0"

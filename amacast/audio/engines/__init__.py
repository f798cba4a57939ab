"""Speech engines behind one small interface: text and a voice in, PCM out."""

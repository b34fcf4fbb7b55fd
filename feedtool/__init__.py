"""feedtool: publish a podcast from a folder of Markdown episodes and audio files."""

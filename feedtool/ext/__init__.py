"""feedgen extensions for the namespaces feedtool writes (registered like feedgen's own)."""

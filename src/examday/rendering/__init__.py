"""What every page examday writes shares: escaping, the Content-Security-Policy and head of a static
page (page), line charts as inline SVG (svg) and their axes and labels (scales). Report, capture,
watch and rehearsal render with these; nothing here reads a record or the platform."""

"""Review sheets (XLSX or CSV): written for a coder, read back as decisions."""

"""Reading plans (txt, md, docx, pdf) and parsing them into records; the vocabularies and bundled plans."""

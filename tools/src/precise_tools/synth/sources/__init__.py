"""Writers that render the synthetic world in each source's input format (see ``docs/formats/``)."""

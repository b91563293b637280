"""Services: the case workflow and the other units of work handlers and jobs call."""

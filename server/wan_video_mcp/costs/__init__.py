"""What a job costs: a price table (shipped, overridable), estimates before a submit, the actual
charge after, and the daily and monthly budgets that refuse a submit before it is sent.

Import from the module that holds a name: the result model (model.py) is part of the tool
definitions, the rest is the runtime's."""

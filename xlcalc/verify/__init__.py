"""The verifier: prove a workbook computes what the reference scorer computes, in real engines."""

"""The publishable Word report: template generated from the form, docxtpl rendering, PDF preview.

Data flows in from a merged.json-shaped mapping (`body`, `year`, `values`, `texts`); nothing here reads
workbooks or imports the merge. Entry points: `render.render_report`, `template_builder` (also runnable
with `python -m nianbao.report.template_builder`), `placeholders.check_template`, `pdf.convert_to_pdf`.
The package imports nothing itself, so running the builder as a module stays clean.
"""

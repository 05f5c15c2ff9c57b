"""nianbao: 政府信息公开工作年度报告 — Excel 填报模板、汇总校验与 Word 报告生成。"""

__version__ = "0.1.0"

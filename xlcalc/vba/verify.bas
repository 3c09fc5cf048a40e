Attribute VB_Name = "xlcalc_verify"
' xlcalc: the "verify" button on the scoring sheet (macro XlcalcVerify).
'
' Runs the Python verifier through xlwings' RunPython:
'     import xlcalc.bridge; xlcalc.bridge.verify_caller()
' RunPython is called late-bound (Application.Run on this workbook's own
' "RunPython"), never by name: this module then compiles without xlwings, so
' the VBA project compiles in LibreOffice too and the recalculate button runs
' there (LibreOffice compiles all modules of a project together, and xlwings'
' VBA, full of #If blocks and Declare statements, does not compile in it: a
' project holding it runs no macro at all).
'
' RunPython comes from xlwings' standalone VBA (module "xlwings" and class
' "Dictionary", copied unchanged from the xlwings package). The templates do
' not embed it; an Excel user gets it either by building the workbook with
' "xlcalc build --xlwings" (embedded, Excel only) or by importing the two
' files into the workbook's VBA project (docs/excel.md, section 4). Without
' it this button shows how, and nothing else is affected.
'
' Requirements on the user's computer:
'   * Python with xlcalc installed, and xlwings of exactly the version of the
'     xlwings VBA (XLCALC_XLWINGS_VERSION below): pip install xlwings==0.37.8
'   * Python found as "python" on PATH, or an "Interpreter_Win" /
'     "Interpreter_Mac" entry in an xlwings.conf file beside this workbook or
'     in %USERPROFILE%\.xlwings\xlwings.conf
'   * on macOS, "xlwings runpython install" run once.
'
' Note for maintainers: string literals holding Chinese are rewritten into
' ChrW(...) calls when the workbook is built (see xlcalc/xlsm.py); comments
' and identifiers must stay ASCII.
Option Explicit

' The xlwings version whose VBA is embedded; Python's xlwings must match it.
' xlcalc/xlsm.py checks this against the embedded module when building.
Public Const XLCALC_XLWINGS_VERSION As String = "0.37.8"

' Runs behind the button.
Public Sub XlcalcVerify()
    On Error GoTo Failed
    ' The workbook's own RunPython ("'Book.xlsm'!RunPython"; a quote in the name is doubled).
    Application.Run "'" & Replace(ThisWorkbook.Name, "'", "''") & "'!RunPython", XlcalcVerifyCommand()
    Exit Sub
Failed:
    MsgBox "校验无法运行：" & Err.Description & vbLf & vbLf & _
        "校验只能在桌面Excel中运行，需要本工作簿含有xlwings的VBA模块（用“xlcalc build --xlwings”生成，" & _
        "或按说明导入xlwings.bas和Dictionary.cls），并在本机安装Python、xlcalc和xlwings " & XLCALC_XLWINGS_VERSION & _
        "（须与VBA模块版本一致：pip install xlwings==" & XLCALC_XLWINGS_VERSION & "）。" & vbLf & _
        "“重新计算”按钮不受影响。", _
        vbExclamation, "校验"
End Sub

' The Python command the button runs (a Function, so it can be tested).
Public Function XlcalcVerifyCommand() As String
    XlcalcVerifyCommand = "import xlcalc.bridge; xlcalc.bridge.verify_caller()"
End Function

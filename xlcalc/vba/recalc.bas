Attribute VB_Name = "xlcalc_recalc"
' xlcalc: the "recalculate" button on the scoring sheet (macro XlcalcRecalculate).
'
' Plain VBA: no reference to xlwings or to any library, so it compiles in
' Excel (Windows and macOS) and in LibreOffice, and needs no Python.
'
' 1. Full recalculation (Application.CalculateFull). LibreOffice has no
'    CalculateFull (an unhandled call stops the macro), so the error is trapped
'    and Application.Calculate runs instead.
' 2. Formula integrity check: the hidden sheet named by FormulaListSheetName()
'    lists every formula the compiler wrote: column A = sheet name,
'    B = cell address ("C5"), C = the formula text exactly as Range.Formula
'    returns it, from row 2 on (row 1 holds headers). Each listed cell's
'    .Formula is compared with column C; the result is shown in a message box.
'
' The macro only reads cells: it writes nothing, so sheet protection stays
' as it is.
'
' Note for maintainers: this file is UTF-8. VBA stores module source in the
' project's ANSI code page, which cannot hold Chinese, so xlcalc.xlsm
' rewrites every string literal holding non-ASCII characters into ChrW(...)
' calls when it builds the workbook (see xlcalc/xlsm.py). Comments and
' identifiers must stay ASCII; a Const cannot hold Chinese text.
Option Explicit

Private Const MAX_LISTED As Long = 20

' Runs behind the button: recalculate everything, then check the formulas.
Public Sub XlcalcRecalculate()
    Dim report As String
    RecalculateAll
    report = XlcalcIntegrityReport()
    MsgBox report, vbInformation, "重新计算"
End Sub

' Full recalculation where the host supports it, plain recalculation otherwise.
' LibreOffice answers "Microsoft Excel" to Application.Name, so the host is not
' asked: there CalculateFull raises error 423 (measured), which is trapped here,
' and Application.Calculate runs instead.
Private Sub RecalculateAll()
    On Error Resume Next
    Application.CalculateFull
    If Err.Number <> 0 Then
        Err.Clear
        Application.Calculate
    End If
    On Error GoTo 0
End Sub

' The message shown after recalculation. Public so it can be tested without
' a message box (for example from LibreOffice driven headless).
Public Function XlcalcIntegrityReport() As String
    Dim listSheet As Object
    Dim data As Variant
    Dim lastRow As Long, r As Long
    Dim total As Long, changed As Long
    Dim sheetName As String, address As String, expected As String, actual As String
    Dim listed As String, head As String

    Set listSheet = FindSheet(FormulaListSheetName())
    If listSheet Is Nothing Then
        XlcalcIntegrityReport = "重新计算完成。未找到公式清单工作表（_公式），无法检查公式完整性。"
        Exit Function
    End If

    lastRow = listSheet.UsedRange.Row + listSheet.UsedRange.Rows.Count - 1
    If lastRow >= 2 Then
        data = listSheet.Range(listSheet.Cells(2, 1), listSheet.Cells(lastRow, 3)).Value
        For r = LBound(data, 1) To UBound(data, 1)
            sheetName = CStr(data(r, 1))
            address = CStr(data(r, 2))
            expected = CStr(data(r, 3))
            If Len(sheetName) > 0 And Len(address) > 0 Then
                total = total + 1
                actual = FormulaAt(sheetName, address)
                If NormalizeFormula(actual) <> NormalizeFormula(expected) Then
                    changed = changed + 1
                    If changed <= MAX_LISTED Then
                        listed = listed & vbLf & sheetName & "!" & address
                    End If
                End If
            End If
        Next r
    End If

    head = "重新计算完成。公式完整性检查：共" & CStr(total) & "个公式，" & CStr(changed) & "个被修改或覆盖"
    If changed > 0 Then
        head = head & vbLf & vbLf & "被修改或覆盖的单元格："
        head = head & listed
        If changed > MAX_LISTED Then
            head = head & vbLf & "……（另有" & CStr(changed - MAX_LISTED) & "个未列出）"
        End If
    End If
    XlcalcIntegrityReport = head
End Function

' The hidden sheet the compiler fills with the expected formulas.
Public Function FormulaListSheetName() As String
    FormulaListSheetName = "_公式"
End Function

' The worksheet of this workbook with that name, or Nothing.
Private Function FindSheet(ByVal sheetName As String) As Object
    Dim ws As Object
    For Each ws In ThisWorkbook.Worksheets
        If ws.Name = sheetName Then
            Set FindSheet = ws
            Exit Function
        End If
    Next ws
    Set FindSheet = Nothing
End Function

' The formula text of one cell; a marker that matches no formula when the
' sheet or the address does not exist.
Private Function FormulaAt(ByVal sheetName As String, ByVal address As String) As String
    Dim ws As Object
    Set ws = FindSheet(sheetName)
    If ws Is Nothing Then
        FormulaAt = Chr(0) & "missing sheet"
        Exit Function
    End If
    On Error Resume Next
    FormulaAt = CStr(ws.Range(address).Formula)
    If Err.Number <> 0 Then
        Err.Clear
        FormulaAt = Chr(0) & "bad address"
    End If
    On Error GoTo 0
End Function

' Excel's Range.Formula shows no "_xlfn." prefix; drop one should it appear.
Private Function NormalizeFormula(ByVal text As String) As String
    NormalizeFormula = Replace(text, "_xlfn.", "")
End Function
